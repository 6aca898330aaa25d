"""Pictures of a training run (matplotlib, when installed): loss/accuracy curves, and for 2-D data
the decision boundary over the training points."""
import os

import numpy as np

import ember


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")  # files only, no window
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        return None


def save_run_pictures(out_dir, rows, model, X, y):
    """Writes loss.png (and decision_boundary.png for 2-D inputs); returns the file names written."""
    plt = _pyplot()
    if plt is None:
        return []
    written = []
    epochs = [r["epoch"] for r in rows]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [r["train_loss"] for r in rows], label="train")
    ax_loss.plot(epochs, [r["test_loss"] for r in rows], label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log", title="loss")
    ax_acc.plot(epochs, [r["train_acc"] for r in rows], label="train")
    ax_acc.plot(epochs, [r["test_acc"] for r in rows], label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02), title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "loss.png"), dpi=100)
    plt.close(fig)
    written.append("loss.png")

    if X.shape[1] == 2:
        pts, labels = X.numpy(), y.numpy()
        pad = 0.25 * (pts.max(0) - pts.min(0))
        lo, hi = pts.min(0) - pad, pts.max(0) + pad
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
        grid = ember.tensor(np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32))
        with ember.no_grad():
            model.eval()
            pred = model(grid).argmax(dim=1).numpy().reshape(gx.shape)
            model.train()
        fig, ax = plt.subplots(figsize=(6, 6))
        classes = int(labels.max()) + 1
        # One colour per class for both the regions (pale) and the points, so they read together.
        colours = [plt.get_cmap("tab10")(c % 10) for c in range(classes)]
        ax.contourf(gx, gy, pred, levels=np.arange(classes + 1) - 0.5, colors=colours, alpha=0.25)
        ax.scatter(pts[:, 0], pts[:, 1], c=[colours[c] for c in labels], s=8, edgecolors="k", linewidths=0.2)
        ax.set(title="decision boundary (training points)", xlabel="x1", ylabel="x2")
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "decision_boundary.png"), dpi=100)
        plt.close(fig)
        written.append("decision_boundary.png")
    return written
