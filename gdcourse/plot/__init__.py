"""Plots for the lectures. Every function draws on ``ax`` (a new figure when None) and
returns the Axes (or Figure/Animation), so notebooks can compose and tests can inspect.

matplotlib.pyplot is imported inside the functions: ``import gdcourse`` stays light and
never picks a GUI backend on a headless machine.

    fits        show_preds, plot_history, show_fit                 (lecture 02)
    graphs      draw_graph                                         (lecture 04)
    images      show_digits                                        (lecture 05)
    landscapes  double_well, plot_landscape, compare_landscape_paths (lecture 06)
    networks    plot_decision_boundary, plot_trajectory,           (lectures 04-05)
                plot_loss_and_accuracy
    paths       descent_path, plot_paths                           (lectures 01, 06)
    races       plot_race                                          (lecture 06)
    snapshots   plot_snapshots                                     (lecture 02)
    surfaces    plot_slopes, plot_loss_surface, animate_fit        (lectures 01, 06)
    sweeps      plot_lr_sweep                                      (lecture 06)
"""

from .fits import plot_history, show_fit, show_preds
from .graphs import draw_graph
from .images import show_digits
from .landscapes import compare_landscape_paths, double_well, double_well_points, plot_landscape
from .networks import plot_decision_boundary, plot_loss_and_accuracy, plot_trajectory
from .paths import descent_path, plot_paths
from .races import plot_race
from .snapshots import plot_snapshots
from .surfaces import animate_fit, plot_loss_surface, plot_slopes
from .sweeps import plot_lr_sweep

__all__ = [
    "compare_landscape_paths", "double_well", "double_well_points", "plot_landscape",
    "plot_race",
    "animate_fit", "descent_path", "draw_graph", "plot_decision_boundary", "plot_history",
    "plot_loss_and_accuracy", "plot_loss_surface", "plot_paths", "plot_snapshots",
    "plot_lr_sweep", "plot_slopes", "plot_trajectory", "show_digits", "show_fit",
    "show_preds",
]
