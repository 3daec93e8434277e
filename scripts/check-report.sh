#!/usr/bin/env bash
# Checks the HTML report: (a) every page's images, SVGs and local links
# resolve and nothing loads from the network (the Rust test
# tests/report_links.rs, pointed at the directory); (b) every page renders in
# headless Chromium, offline, with its main heading and every image loaded,
# and a screenshot of each goes to <dir>/screenshots/ (git-ignored).
#
# Usage: scripts/check-report.sh [DIR]     (default: reports)
# Chromium is Debian's `chromium`; when missing it is installed with apt-get
# (as root). TVP_SKIP_BROWSER=1 skips part (b); so does a failed install,
# with a note.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:-reports}
if [[ ! -f "$dir/index.html" ]]; then
    echo "error: $dir/index.html is missing: run \`cargo bench\` (or \`cargo run --release -- report\` after a bench) first" >&2
    exit 2
fi
dir=$(cd "$dir" && pwd)

echo "== links and files: cargo test --test report_links"
TVP_CHECK_REPORT_DIR="$dir" cargo test --quiet --test report_links \
    the_report_named_by_tvp_check_report_dir_resolves -- --nocapture

echo "== browser"
if [[ "${TVP_SKIP_BROWSER:-}" == 1 ]]; then
    echo "note: TVP_SKIP_BROWSER=1: the pages were not opened in a browser"
    exit 0
fi
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
    echo "Chromium is missing; installing Debian's chromium"
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null &&
        { apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; }; then
        browser=$(command -v chromium)
    else
        echo "note: skipping the browser check: Chromium could not be installed" \
            "(needs root and apt-get; install chromium yourself to run it)"
        exit 0
    fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir/screenshots" "$work/pages"
# The pages are checked in a copy with a probe appended, so the report itself
# stays untouched: after the load event it records what failed on <body>.
find "$dir" -maxdepth 1 -type f -exec cp {} "$work/pages/" \;
probe='<script>window.addEventListener("load", () => {
  const p = [];
  const h1 = document.querySelector("h1");
  if (!h1 || !h1.textContent.trim()) p.push("no main heading");
  for (const i of document.images)
    if (!(i.complete && i.naturalWidth > 0)) p.push("image did not load: " + i.getAttribute("src"));
  for (const o of document.querySelectorAll("object"))
    if (!o.contentDocument) p.push("object did not load: " + o.getAttribute("data"));
  for (const r of performance.getEntriesByType("resource"))
    if (!r.name.startsWith("file:")) p.push("loaded from the network: " + r.name);
  document.body.setAttribute("data-tvp-check", p.length ? p.join(" | ") : "ok " + document.images.length);
});</script>'

# Offline: every host name fails to resolve, so a remote resource would not load.
run_browser() {
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
        --disable-background-networking --disable-component-update --disable-sync \
        --no-first-run --host-resolver-rules="MAP * ~NOTFOUND" \
        --user-data-dir="$(mktemp -d "$work/profile.XXXX")" "$@" 2>>"$work/browser.log"
}

failed=0
pages=0
for page in "$dir"/*.html; do
    name=$(basename "$page" .html)
    copy="$work/pages/$name.html"
    printf '%s\n' "$probe" >>"$copy"
    result=$(run_browser --dump-dom "file://$copy" | grep -o 'data-tvp-check="[^"]*"' || true)
    result=${result#data-tvp-check=\"}
    result=${result%\"}
    run_browser --window-size=1280,2400 --hide-scrollbars \
        --screenshot="$dir/screenshots/$name.png" "file://$page" >/dev/null
    pages=$((pages + 1))
    if [[ "$result" == ok* ]]; then
        echo "ok    $name.html (${result#ok } images) -> screenshots/$name.png"
    else
        echo "FAIL  $name.html: ${result:-the page did not render (no probe result)}"
        failed=$((failed + 1))
    fi
done
if ((failed)); then
    echo "error: $failed of $pages pages failed in Chromium" >&2
    exit 1
fi
echo "all $pages pages render offline with every image; screenshots in $dir/screenshots/"
