"""What the three measuring scripts share: where their JSON goes by default,
the --quick / --out options, and writing the file so a reader never sees
half of it."""

import argparse
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def parser(doc, file_name, quick_help):
    """An ArgumentParser with --quick and --out (default reports/data/FILE_NAME)."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help=f"{quick_help} (also TVP_QUICK=1)")
    p.add_argument(
        "--out",
        default=os.path.join(HERE, "..", "..", "reports", "data", file_name),
        help=f"where to write the JSON [default: reports/data/{file_name}]",
    )
    return p


def quick_requested(args):
    """--quick, or TVP_QUICK set to anything but empty or 0 (as the benches read it)."""
    return args.quick or os.environ.get("TVP_QUICK", "") not in ("", "0")


def write(out, report):
    """Writes REPORT as indented JSON to OUT through a temporary file; returns the absolute path."""
    out = os.path.abspath(out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    os.replace(tmp, out)  # readers never see half a file
    return out
