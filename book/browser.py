"""Open the book's pages in headless Chromium and report what a reader sees.

    python book/browser.py book/_build/html/lectures/01_gradient_descent_by_hand.html

One browser for many pages, driven over the DevTools protocol on a pipe (no WebSocket
library, no network): each page is loaded from file://, and once it has loaded a script
counts the images that really decoded, the error outputs shown, and the links.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
         "--mute-audio", "--hide-scrollbars"]

# Evaluated in the page once it has loaded (and a moment more, for the animation players).
_PROBE = """
new Promise(resolve => {
  const typeset = () => (window.MathJax && MathJax.startup && MathJax.startup.promise)
    || Promise.resolve();
  const look = () => setTimeout(() => typeset().then(() => {
    const article = document.querySelector('article') || document.body;
    const outputs = [...article.querySelectorAll('.cell_output img')];
    const decoded = img => img.complete && img.naturalWidth > 0;
    resolve({
      title: document.title,
      h1: (article.querySelector('h1') || {}).textContent || '',
      output_images: outputs.length,
      loaded_images: outputs.filter(decoded).length,
      broken_images: outputs.filter(img => !decoded(img)).map(img => img.src.slice(0, 120)),
      tracebacks: [...article.querySelectorAll('.cell_output .traceback, .output.traceback')]
        .map(el => ((el.querySelector('pre') || el).textContent.trim().split('\\n')
                    .filter(line => line.trim()).slice(-1)[0] || '').slice(0, 200)),
      links: [...document.querySelectorAll('a[href]')].map(a => a.href),
      external: performance.getEntriesByType('resource').map(r => r.name)
        .filter(u => !u.startsWith('file:') && !u.startsWith('data:')),
      code_cells: article.querySelectorAll('.cell').length,
      formulas: article.querySelectorAll('.math').length,
      formulas_drawn: [...article.querySelectorAll('.math')]
        .filter(el => el.querySelector('mjx-container') || el.tagName === 'MJX-CONTAINER').length,
      text: article.innerText,
    });
  }), 500);
  if (document.readyState === 'complete') look(); else addEventListener('load', look);
})
"""


def chromium() -> str | None:
    """The Chromium executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """Headless Chromium over ``--remote-debugging-pipe`` (fd 3: commands, fd 4: replies)."""

    def __init__(self, executable: str | None = None, *, timeout: float = 60):
        executable = executable or chromium()
        if not executable:
            raise FileNotFoundError("no chromium on PATH (Debian: apt-get install chromium)")
        self._profile = tempfile.mkdtemp(prefix="gdcourse-chromium-")
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def wire():  # in the child: its fd 3 reads our commands, its fd 4 writes replies
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        self._proc = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self._profile}",
             "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            # preexec_fn runs before the child closes unlisted fds: keep 3 and 4 open.
            pass_fds=(3, 4, to_child, from_child), preexec_fn=wire)
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._events: list[tuple[str, str | None, dict]] = []
        self._next = 0
        self.timeout = timeout

    def _send(self, method: str, params: dict | None = None, session: str | None = None):
        self._next += 1
        message = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        return self._reply(self._next)

    def _reply(self, wanted: int | str, session: str | None = None) -> dict:
        """The reply to command ``wanted`` (an id), or the next event named ``wanted``."""
        import select
        for i, (method, where, params) in enumerate(self._events):
            if method == wanted and where == session:
                del self._events[i]
                return params
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if message.get("id") == wanted:
                    if "error" in message:
                        raise RuntimeError(f"chromium: {message['error']}")
                    return message["result"]
                if "method" in message:
                    if message["method"] == wanted and message.get("sessionId") == session:
                        return message.get("params", {})
                    # An event that came while waiting for something else: keep it.
                    self._events.append((message["method"], message.get("sessionId"),
                                         message.get("params", {})))
            ready, _, _ = select.select([self._read], [], [], self.timeout)
            if not ready:
                raise TimeoutError(f"chromium did not answer within {self.timeout} s")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed its pipe")
            self._buffer += chunk

    def look(self, page: Path) -> dict:
        """Load ``page`` (a file) in a fresh tab; what the probe saw there."""
        return self.evaluate(page, _PROBE)[0]

    def evaluate(self, page: Path, *expressions: str, width: int = 1280,
                 height: int = 900) -> list:
        """Load ``page`` in a fresh tab of a ``width`` x ``height`` window and evaluate each
        JavaScript expression there in turn (a promise is awaited); their values."""
        url = Path(page).resolve().as_uri()
        target = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._send("Target.attachToTarget",
                             {"targetId": target, "flatten": True})["sessionId"]
        try:
            self._send("Emulation.setDeviceMetricsOverride",
                       {"width": width, "height": height, "deviceScaleFactor": 1,
                        "mobile": False}, session)
            self._send("Page.enable", session=session)
            self._send("Page.navigate", {"url": url}, session)
            self._reply("Page.loadEventFired", session)
            self._events = [e for e in self._events if e[1] != session]
            values = []
            for expression in expressions:
                result = self._send("Runtime.evaluate",
                                    {"expression": expression, "awaitPromise": True,
                                     "returnByValue": True}, session)
                if "exceptionDetails" in result:
                    raise RuntimeError(f"script failed on {page}: "
                                       f"{result['exceptionDetails']}")
                values.append(result["result"].get("value"))
            return values
        finally:
            self._send("Target.closeTarget", {"targetId": target})
            self._events = [e for e in self._events if e[1] != session]

    def close(self):
        try:
            self._send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for fd in (self._read, self._write):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()




def page_problems(seen: dict, *, repo_path: str, images: int | None, url: str | None = None,
                  ref: str | None = None) -> list[str]:
    """What is wrong with a page as the reader saw it (``Browser.look``); [] when nothing.

    Args:
        seen: the probe's result for the page.
        repo_path: the notebook's path in the repository, e.g. lectures/02_seven_steps.ipynb.
        images: how many images its outputs must show (figures + animation players), or
            None for a page that shows no outputs at all (an exercise).
        url, ref: the repository and branch the launch links must open (default: home).
    """
    import home

    problems = []
    if images is not None and seen["loaded_images"] != images:
        problems.append(f"{seen['loaded_images']} of {images} figures loaded "
                        f"({seen['output_images']} <img> in outputs, broken: "
                        f"{seen['broken_images']})")
    elif images is None and seen["output_images"]:
        problems.append(f"{seen['output_images']} output images on a page meant to be empty")
    if seen["broken_images"] and not problems:
        problems.append(f"broken images: {seen['broken_images']}")
    if seen["tracebacks"]:
        problems.append(f"error output shown: {seen['tracebacks']}")
    for name, prefix, make in (("Colab", home.COLAB, home.colab_url),
                               ("Kaggle", home.KAGGLE, home.kaggle_url)):
        expected = make(repo_path, home=url, ref=ref)
        found = [link for link in seen["links"] if link.startswith(prefix)]
        if not found:
            problems.append(f"no {name} link")
        for link in sorted(set(found) - {expected}):
            problems.append(f"{name} link opens {link}, expected {expected}")
    downloads = [link for link in seen["links"]
                 if link.startswith("file:") and link.endswith(f"/_notebooks/{repo_path}")]
    if not downloads:
        problems.append(f"no download link for {repo_path}")
    for link in downloads:
        if not Path(urllib.parse.unquote(urllib.parse.urlparse(link).path)).is_file():
            problems.append(f"download link {link} leads to no file")
    if seen["external"]:
        problems.append(f"loads from the network: {seen['external']}")
    if seen["formulas_drawn"] != seen["formulas"]:
        problems.append(f"{seen['formulas'] - seen['formulas_drawn']} of {seen['formulas']} "
                        "formulas not drawn (MathJax did not run)")
    return problems


def screenshot(page: Path, png: Path, *, width: int = 1280, height: int = 2000) -> Path:
    """Save a PNG of ``page`` as a reader's window of that size shows it (for a human)."""
    with tempfile.TemporaryDirectory(prefix="gdcourse-chromium-") as profile:
        subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}",
                        f"--window-size={width},{height}", f"--screenshot={png}",
                        "--virtual-time-budget=5000", Path(page).resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
    return png


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    with Browser() as browser:
        for arg in sys.argv[1:]:
            seen = browser.look(Path(arg))
            seen["links"] = [u for u in seen["links"] if "colab" in u or "kaggle" in u
                             or "_notebooks" in u]
            seen["text"] = seen["text"][:300]
            print(json.dumps(seen, indent=1))
