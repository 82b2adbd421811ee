#!/usr/bin/env python3
"""Turns criterion's results (target/criterion) into the tables and the plot
of docs/PERFORMANCE.md.

    cargo bench -p qorgan --bench double_ratchet --bench groups
    python3 scripts/bench-report.py            # prints markdown, writes docs/performance.png

Reads each benchmark's median (estimates.json, point estimate, nanoseconds).
The plot needs matplotlib (pip install matplotlib); without it only the
tables are printed.
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"


def median_ns(group, function, param=None):
    path = CRITERION / group / function
    if param is not None:
        path = path / str(param)
    est = path / "new" / "estimates.json"
    if not est.exists():
        return None
    return json.loads(est.read_text())["median"]["point_estimate"]


def fmt(ns):
    if ns is None:
        return "–"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def ratio(a, b):
    return "–" if a is None or b is None else f"{a / b:.2f}×"


def table_three_way(group, params):
    rows = ["| size | qorgan | vodozemac | limit | qorgan / limit | vodozemac / qorgan |", "|---|---|---|---|---|---|"]
    for p in params:
        q, v, l = (median_ns(group, f, p) for f in ("qorgan", "vodozemac", "limit"))
        rows.append(f"| {p} B | {fmt(q)} | {fmt(v)} | {fmt(l)} | {ratio(q, l)} | {ratio(v, q)} |")
    return "\n".join(rows)


def main():
    if not CRITERION.exists():
        sys.exit("no target/criterion: run cargo bench first")
    out = []
    out.append("### `dr_enc_dec` (1:1 encrypt + decrypt, in order)\n")
    out.append(table_three_way("dr_enc_dec", [64, 1024, 65536]))
    out.append("\n### `dr_ping_pong` (one round trip, the ratchet turns twice)\n")
    out.append(table_three_way("dr_ping_pong", [64]))
    out.append("\n### `group_enc_dec` (sign + encrypt, verify + decrypt)\n")
    out.append(table_three_way("group_enc_dec", [64, 1024, 65536]))
    out.append("\n### `group_catch_up` (500 queued 64-byte messages)\n")
    rows = ["| function | total | per message |", "|---|---|---|"]
    for f in ("qorgan_batch", "qorgan_single", "vodozemac"):
        t = median_ns("group_catch_up", f, 500)
        rows.append(f"| {f} | {fmt(t)} | {fmt(t / 500 if t else None)} |")
    b, s = median_ns("group_catch_up", "qorgan_batch", 500), median_ns("group_catch_up", "qorgan_single", 500)
    rows.append(f"\nbatch / single: {ratio(b, s)}")
    out.append("\n".join(rows))
    out.append("\n### Other groups\n")
    rows = ["| benchmark | qorgan | vodozemac |", "|---|---|---|"]
    rows.append(f"| `handshake` | {fmt(median_ns('handshake', 'qorgan'))} | {fmt(median_ns('handshake', 'vodozemac'))} |")
    rows.append(f"| `dr_reversed/qorgan/100` (100 messages decrypted newest first) | {fmt(median_ns('dr_reversed', 'qorgan', 100))} | – |")
    rows.append(f"| `state_seal_open/qorgan` | {fmt(median_ns('state_seal_open', 'qorgan'))} | – |")
    out.append("\n".join(rows))
    print("\n".join(out))

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\n(matplotlib not installed: no plot)", file=sys.stderr)
        return
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for ax, (group, title) in zip(axes[:2], [("dr_enc_dec", "1:1 encrypt + decrypt"), ("group_enc_dec", "group encrypt + decrypt")]):
        sizes = [64, 1024, 65536]
        width = 0.27
        for i, (f, color) in enumerate([("qorgan", "#1f6f4a"), ("vodozemac", "#b05a2a"), ("limit", "#888888")]):
            vals = [(median_ns(group, f, p) or 0) / 1e3 for p in sizes]
            ax.bar([x + (i - 1) * width for x in range(3)], vals, width, label=f, color=color)
        ax.set_xticks(range(3), ["64 B", "1 KiB", "64 KiB"])
        ax.set_yscale("log")
        ax.set_ylabel("µs (log scale)")
        ax.set_title(title)
        ax.legend()
    ax = axes[2]
    names = ["qorgan_batch", "qorgan_single", "vodozemac"]
    vals = [(median_ns("group_catch_up", f, 500) or 0) / 500 / 1e3 for f in names]
    ax.bar(names, vals, color=["#1f6f4a", "#5a9f7a", "#b05a2a"])
    ax.set_ylabel("µs per message")
    ax.set_title("group catch-up, 500 messages")
    fig.tight_layout()
    target = ROOT / "docs" / "performance.png"
    fig.savefig(target, dpi=110)
    print(f"\n(plot written to {target.relative_to(ROOT)})", file=sys.stderr)


if __name__ == "__main__":
    main()
