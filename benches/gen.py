#!/usr/bin/env python3
"""Generate large synthetic Dockerfiles for the scaling measurements (benches/scaling.sh).

  gen.py lines SIZE_BYTES OUT   FROM python:3.12, then RUN pip install ... lines up to SIZE_BYTES
  gen.py cont  N OUT            FROM python:3.12, one RUN with N continuation lines
"""
import sys

kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(out, "w") as f:
    f.write("FROM python:3.12\n")
    if kind == "lines":
        size, i = 17, 0
        while size < n:
            line = f'RUN pip install package{i} && echo "step {i}" # comment {i}\n'
            f.write(line)
            size += len(line)
            i += 1
    elif kind == "cont":
        f.write("RUN pip install a \\\n")
        for i in range(n):
            f.write(f"  pkg{i} \\\n")
        f.write("  last\n")
    else:
        sys.exit(f"unknown kind {kind}")
