"""index.html of a training run: one page a browser opens from the run folder, with the config, the
final scores, the pictures, the per-epoch metrics and the model. Plain HTML and inline CSS, the
pictures linked by relative path, so the folder can be moved, zipped or served as it is."""
import html
import json
import os

import ember

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th { background: #f3f3f3; } td.key { text-align: left; font-family: monospace; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.3em 0; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }
"""


def _table(header, rows):
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(v):
    return f"{v:.4f}" if isinstance(v, float) else v


def write_report(out_dir, config, rows, model, pictures, scores):
    """Writes out_dir/index.html and returns its file name."""
    n_params = sum(p.numel() for p in model.parameters())
    config_rows = "".join(f"<tr><td class='key'>{html.escape(k)}</td><td>{html.escape(json.dumps(v))}</td></tr>"
                          for k, v in config.items())
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>ember run: {html.escape(str(config.get('dataset', '')))}</title><style>{_STYLE}</style></head><body>",
        f"<h1>ember training run: {html.escape(str(config.get('dataset', '')))}</h1>",
        f"<p>ember {html.escape(ember.__version__)}. Train accuracy {scores['train_acc']:.3f}, "
        f"test accuracy {scores['test_acc']:.3f}, after {len(rows)} epochs.</p>",
    ]
    if pictures:
        parts.append("<h2>Pictures</h2>")
        parts += [f"<p><img src='{html.escape(p)}' alt='{html.escape(p)}'></p>" for p in pictures]
    else:
        parts.append("<p>(No pictures: matplotlib is not installed. The curves are in metrics.csv.)</p>")
    parts += [
        "<h2>Metrics per epoch</h2>",
        _table(list(rows[0]), [[_fmt(v) for v in r.values()] for r in rows]),
        "<h2>Model</h2>",
        f"<p>{n_params:,} parameters.</p><pre>{html.escape(repr(model))}</pre>",
        "<h2>Config</h2>",
        f"<table>{config_rows}</table>",
        "<p>Files: <a href='model.safetensors'>model.safetensors</a>, <a href='metrics.csv'>metrics.csv</a>, "
        "<a href='config.json'>config.json</a>.</p>",
        "</body></html>",
    ]
    with open(os.path.join(out_dir, "index.html"), "w", encoding="utf-8") as f:
        f.write("\n".join(parts))
    return "index.html"
