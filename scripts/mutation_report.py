"""Print the share of mutants killed per module after `mutmut run` (`make mutate` calls it).

Run from the repository root: mutmut keeps one result file per mutated module,
`mutants/<path>.meta`, with an exit code per mutant; mutmut's own `results`
lists survivors one by one but gives no per-module figures. Modules listed in
`[tool.mutmut] only_mutate` without results yet (not run) are shown as such.
"""

from __future__ import annotations

import sys
import tomllib
from collections import Counter
from pathlib import Path

# mutmut is pinned (the `mutate` extra), so its reader and exit-code table are the ones that wrote the files.
from mutmut.mutation.data import SourceFileMutationData
from mutmut.stats import status_by_exit_code


def main() -> int:
    config = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    print(f"{'module':<40} {'killed':>7} {'checked':>8} {'total':>6} {'killed %':>9}  other outcomes")
    for module in config["only_mutate"]:
        data = SourceFileMutationData(path=module)
        data.load()  # no result file yet: stays empty
        outcomes = Counter(status_by_exit_code[code] for code in data.exit_code_by_key.values())
        total = sum(outcomes.values())
        checked = total - outcomes["not checked"]
        if not checked:
            print(f"{module:<40} {'not run':>7}")
            continue
        others = ", ".join(f"{count} {status}" for status, count in sorted(outcomes.items())
                           if status not in ("killed", "not checked"))
        # The share is of the mutants actually checked: a run limited to some mutants leaves the rest "not checked".
        print(f"{module:<40} {outcomes['killed']:>7} {checked:>8} {total:>6} "
              f"{100 * outcomes['killed'] / checked:>8.1f}%  {others}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
