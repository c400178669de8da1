"""Turn one run's results into bench/results/<date>-<scale>.json, the table in docs/PERFORMANCE.md and the plot."""

from __future__ import annotations

import json
from pathlib import Path

from common import ROOT

RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "PERFORMANCE.md"
PLOT = ROOT / "docs" / "performance-exports.png"
BEGIN = "<!-- bench:begin (written by `make bench`; edit bench/report.py, not this block) -->"
END = "<!-- bench:end -->"

READ_PAGES = ("consultation", "document", "survey")
ROUTE_LABELS = {
    "healthz": "`/healthz` (framework ceiling)",
    "consultation": "consultation page",
    "document": "document page (200 paragraphs, threads paginated)",
    "survey": "survey answering page (40 questions)",
    "survey_submission": "survey submission (POST, CSRF, own organization)",
    "comment_posting": "comment posting (POST, CSRF)",
    "bare_insert": "bare psycopg insert of the same rows (database ceiling)",
}


def _met(ok: bool | None) -> str:
    if ok is None:
        return "not measured"
    return "met" if ok else "**not met**"


def _num(value, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def budgets(result: dict) -> list[dict]:
    """Every budget line of issue 7 with its measured value and whether it is met."""
    lines: list[dict] = []
    http = result.get("http")
    routes = http["routes"] if isinstance(http, dict) else {}
    for page in READ_PAGES:
        route = routes.get(page)
        healthz = _healthz_for(routes, page)
        ratio = route["requests_per_s"] / healthz if route and healthz else None
        lines.append({"budget": f"{ROUTE_LABELS[page]} ≥ 0.25 × `/healthz` requests/s",
                      "measured": f"{ratio:.3f} × ({_num(route['requests_per_s'], 1)} req/s, "
                                  f"{route['failures']} failures)" if ratio is not None else "not measured",
                      "met": None if ratio is None else (ratio >= 0.25 and route["failures"] == 0)})
    submit, bare = routes.get("survey_submission"), routes.get("bare_insert")
    if submit and bare and bare["requests_per_s"]:
        ratio = submit["requests_per_s"] / bare["requests_per_s"]
        lines.append({"budget": "survey submission ≥ 0.5 × bare psycopg insert rate, zero failures",
                      "measured": f"{ratio:.3f} × ({_num(submit['requests_per_s'], 1)} vs "
                                  f"{_num(bare['requests_per_s'], 1)} responses/s), {submit['failures']} failures",
                      "met": ratio >= 0.5 and submit["failures"] == 0})
    else:
        lines.append({"budget": "survey submission ≥ 0.5 × bare psycopg insert rate, zero failures",
                      "measured": "not measured", "met": None})
    exports = result.get("exports")
    exports = exports if isinstance(exports, dict) else {}
    for kind, floor in (("csv", 0.5), ("xlsx", 0.2)):
        data = exports.get(kind)
        label = f"{kind.upper()} export ≥ {floor} × COPY answers/s"
        if isinstance(data, dict) and data.get("ratio") is not None:
            lines.append({"budget": label, "measured": f"{data['ratio']:.3f} × ({_num(data.get('app_answers_per_s'))} "
                                                         f"vs {_num(data.get('copy_answers_per_s'))} answers/s, "
                                                         f"{_num(data.get('answers'))} answers)",
                          "met": data["ratio"] >= floor})
        else:
            lines.append({"budget": label, "measured": "not measured", "met": None})
    memory = sorted(exports.get("memory") or [], key=lambda row: row["answers"])
    if len(memory) >= 2:
        low, high = memory[0], memory[-1]
        growth = high["peak_rss_mib"] / low["peak_rss_mib"] - 1 if low["peak_rss_mib"] else None
        lines.append({"budget": f"export memory flat (within 20%) from {_num(low['answers'])} to "
                                f"{_num(high['answers'])} answers",
                      "measured": f"{_num(low['peak_rss_mib'], 1)} → {_num(high['peak_rss_mib'], 1)} MiB "
                                  f"({growth:+.1%})" if growth is not None else "not measured",
                      "met": None if growth is None else growth <= 0.2})
    else:
        lines.append({"budget": "export memory flat (within 20%) from 10,000 to 1,000,000 answers",
                      "measured": "not measured", "met": None})
    report = sorted(exports.get("report") or [], key=lambda row: row["responses"])
    if len(report) >= 2:
        low, high = report[0], report[-1]
        ratio = high["seconds"] / low["seconds"] if low["seconds"] else None
        lines.append({"budget": f"summary report: {_num(high['responses'])} responses ≤ 3 × the time of "
                                f"{_num(low['responses'])}",
                      "measured": f"{ratio:.2f} × ({low['seconds']:.2f} s → {high['seconds']:.2f} s)"
                      if ratio is not None else "not measured",
                      "met": None if ratio is None else ratio <= 3})
    else:
        lines.append({"budget": "summary report: 100,000 responses ≤ 3 × the time of 10,000",
                      "measured": "not measured", "met": None})
    counts = result.get("queries") or {}
    if counts.get("small") and counts.get("full"):
        unequal = [page for page in counts["full"] if counts["full"][page]["queries"]
                   != counts["small"].get(page, {}).get("queries")]
        measured = ", ".join(f"{page} {counts['small'][page]['queries']}/{counts['full'][page]['queries']}"
                             for page in counts["full"])
        lines.append({"budget": "SQL queries per page equal at two data sizes", "measured": measured,
                      "met": not unequal})
    return lines


def _healthz_for(routes: dict, name: str) -> float | None:
    """The /healthz rate a route is compared with: measured just before it when the run did, else the mean."""
    return (routes.get(name) or {}).get("healthz_just_before") or _healthz_rate(routes)


def _healthz_rate(routes: dict) -> float | None:
    rates = [routes[name]["requests_per_s"] for name in ("healthz", "healthz_again") if name in routes]
    return sum(rates) / len(rates) if rates else None


def markdown(result: dict, json_name: str) -> str:
    out = [BEGIN, ""]
    out.append(f"Last run: **{result['date']}**, scale `{result['scale']}`, database {result['database']}, "
               f"{result['machine']['cores']} cores (load average {result['machine']['load_average_at_start']:.1f} "
               f"at the start), {result.get('seconds', 0):,.0f} s in all. Raw numbers: "
               f"[`bench/results/{json_name}`](../bench/results/{json_name}).")
    if result.get("note"):
        out += ["", f"> **Note:** {result['note']}"]
    seed = result.get("seed") or {}
    sizes = seed.get("sizes") or {}
    if sizes:
        out += ["", f"Data: {sizes['organizations']:,} organizations, {sizes['users']:,} users, a "
                    f"{sizes['paragraphs']}-paragraph document with {sizes['comments']:,} comments, a "
                    f"{sizes['questions']}-question survey with {sizes['responses']:,} responses "
                    f"({seed.get('answers', 0):,} answers), in English, French and Spanish; seeded in "
                    f"{seed.get('seconds', 0):.0f} s."]
    out += ["", "### Budgets", "", "| budget | measured | |", "|---|---|---|"]
    for line in budgets(result):
        out.append(f"| {line['budget']} | {line['measured']} | {_met(line['met'])} |")
    http = result.get("http")
    if isinstance(http, dict):
        routes = http["routes"]
        out += ["", "### Throughput and latency", "",
                f"gunicorn, production config, {http['workers']} sync workers; wrk with {http['wrk_threads']} "
                f"threads and {http['connections']} connections for every route, {http['seconds']} s each, on "
                f"127.0.0.1; every request is a different signed-in delegate. `/healthz` ran first and last "
                f"({_num(routes.get('healthz', {}).get('requests_per_s'), 1)} and "
                f"{_num(routes.get('healthz_again', {}).get('requests_per_s'), 1)} req/s), and for 5 s just "
                f"before each other route: a route's ratio uses the `/healthz` rate measured just before it (its own "
                f"column), so that a change in the machine's background load between routes does not move the "
                f"ratio. The bare psycopg ceiling runs right after the submissions, with the app idle.",
                "Failures: socket errors, timeouts, unexpected statuses, and requests gunicorn killed a worker "
                "over (its 30 s timeout).",
                "", "| route | requests/s | `/healthz` just before | ratio to `/healthz` | p50 ms | p99 ms | failures "
                "| one request alone, ms |",
                "|---|---|---|---|---|---|---|---|"]
        for name in ("healthz", *READ_PAGES, "survey_submission", "comment_posting", "bare_insert"):
            route = routes.get(name)
            if not route:
                continue
            # the database ceiling is compared with the submissions, not with /healthz
            compared = _healthz_for(routes, name)
            compared_with_itself = name in ("healthz", "bare_insert")
            ratio = route["requests_per_s"] / compared if compared and not compared_with_itself else None
            alone = _num(route.get("lone_request_ms"), 1)
            just_before = _num(route.get("healthz_just_before"), 1)
            if route.get("note"):
                out.append(f"| {ROUTE_LABELS[name]} | 0 ({route['note']}) | {just_before} | 0 | – | – | "
                           f"{route['failures']} | {alone} |")
                continue
            out.append(f"| {ROUTE_LABELS[name]} | {_num(route['requests_per_s'], 1)} | {just_before} | "
                       f"{_num(ratio, 3)} | {_num(route['p50_ms'], 1)} | {_num(route['p99_ms'], 1)} | "
                       f"{route['failures']} | {alone} |")
        submit = routes.get("survey_submission", {})
        if "stored" in submit:
            out += ["", f"Submissions stored in the database: {submit['stored']:,} for {submit['requests']:,} "
                        f"completed requests (requests still in flight when wrk stopped are stored but not counted; "
                        f"{submit.get('reused_requests', 0)} requests re-sent an already used (organization, survey) "
                        f"pair)."]
    counts = result.get("queries") or {}
    if counts.get("small") and counts.get("full"):
        small_sizes, full_sizes = counts["sizes"]["small"], counts["sizes"]["full"]
        out += ["", "### SQL queries per request", "",
                f"| page | {small_sizes['paragraphs']} paragraphs, {small_sizes['comments']:,} comments, "
                f"{small_sizes['responses']:,} responses | {full_sizes['paragraphs']} paragraphs, "
                f"{full_sizes['comments']:,} comments, {full_sizes['responses']:,} responses |", "|---|---|---|"]
        for page, row in counts["full"].items():
            out.append(f"| {page} | {counts['small'][page]['queries']} | {row['queries']} |")
    exports = result.get("exports")
    out += ["", "### Exports", ""]
    if isinstance(exports, dict):
        out += ["| export | answers | app answers/s | COPY answers/s | ratio |", "|---|---|---|---|---|"]
        for kind in ("csv", "xlsx"):
            data = exports.get(kind)
            if isinstance(data, dict):
                out.append(f"| {kind.upper()} | {_num(data.get('answers'))} | {_num(data.get('app_answers_per_s'))}"
                           f" | {_num(data.get('copy_answers_per_s'))} | {_num(data.get('ratio'), 3)} |")
        if exports.get("memory"):
            out += ["", "| answers | peak RSS of the exporting process (MiB) | seconds |", "|---|---|---|"]
            for row in sorted(exports["memory"], key=lambda r: r["answers"]):
                out.append(f"| {_num(row['answers'])} | {_num(row['peak_rss_mib'], 1)} | {_num(row['seconds'], 2)} |")
        if exports.get("report"):
            out += ["", "| summary report, responses | seconds |", "|---|---|"]
            for row in sorted(exports["report"], key=lambda r: r["responses"]):
                out.append(f"| {_num(row['responses'])} | {_num(row['seconds'], 2)} |")
    else:
        out.append(f"Exports: {exports}.")
    out += ["", "![Export memory and time against answers](performance-exports.png)", "", END]
    return "\n".join(out)


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    exports = result.get("exports")
    memory = sorted(exports.get("memory") or [], key=lambda r: r["answers"]) if isinstance(exports, dict) else []
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    if memory:
        answers = [row["answers"] for row in memory]
        left.plot(answers, [row["peak_rss_mib"] for row in memory], marker="o")
        right.plot(answers, [row["seconds"] for row in memory], marker="o", color="tab:orange")
        low = memory[0]["peak_rss_mib"]
        left.axhline(low * 1.2, linestyle="--", color="grey", linewidth=1, label="budget: +20% over the smallest")
        left.legend(loc="lower right", fontsize=8)
        left.set_ylim(bottom=0)
        for axis in (left, right):
            axis.set_xscale("log")
            axis.set_xlabel("answers exported")
            axis.grid(True, which="both", alpha=0.3)
    else:
        for axis in (left, right):
            axis.text(0.5, 0.5, "not measured in this run", ha="center", va="center", transform=axis.transAxes)
    left.set_title("Peak resident memory of the exporting process")
    left.set_ylabel("MiB")
    right.set_title("Export time")
    right.set_ylabel("seconds")
    figure.suptitle(f"Consult CSV export, {result['date']} ({result['scale']}, {result['database']})")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def update_doc(block: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n## Latest `make bench`\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def write_all(result: dict) -> list[Path]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result["budgets"] = budgets(result)
    json_path = RESULTS / f"{result['date']}-{result['scale']}.json"
    json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    plot(result, PLOT)
    update_doc(markdown(result, json_path.name))
    return [json_path, DOC, PLOT]


if __name__ == "__main__":  # re-render the table and plot from a results file
    import sys

    data = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    write_all(data)
