#!/usr/bin/env bash
# Reads an XCTest log on stdin and prints the whole run's result: "N passed, N skipped, N failed".
#
# XCTest ends every suite with a line
#     Executed N tests, with [S tests skipped and ]F failures (U unexpected) in … seconds
# and the last of them is the whole run's. F counts failed assertions, not tests, so the failed
# tests are the "Test Case '…' failed" lines (F, capped at the tests run, if the log has none).
# A suite left open ("Test Suite '…' started" without its "passed"/"failed") means the run died
# inside it: the "Executed" lines before are those of finished suites only.
#
# Exit status: 0 when nothing failed; 1 when something did; 2 when the log has no summary of the
# whole run (the run crashed or was cut short).
set -uo pipefail

summary_pattern='Executed ([0-9]+) tests?, with (([0-9]+) tests? skipped and )?([0-9]+) failures? '
suite_start_pattern="^Test Suite '.*' started at "
suite_end_pattern="^Test Suite '.*' (passed|failed) at "
failed_case_pattern="^Test Case '.*' failed \\("
summary=""
open_suites=0
failed_cases=0
while IFS= read -r line || [ -n "$line" ]; do
  if [[ $line =~ $summary_pattern ]]; then
    summary=$line
  elif [[ $line =~ $suite_start_pattern ]]; then
    open_suites=$((open_suites + 1))
  elif [[ $line =~ $suite_end_pattern ]]; then
    open_suites=$((open_suites - 1))
  elif [[ $line =~ $failed_case_pattern ]]; then
    failed_cases=$((failed_cases + 1))
  fi
done

if [ "$open_suites" -gt 0 ] || ! [[ $summary =~ $summary_pattern ]]; then
  echo "no XCTest summary of the whole run: the test run crashed or was cut short"
  exit 2
fi
executed=${BASH_REMATCH[1]}
skipped=${BASH_REMATCH[3]:-0}
failures=${BASH_REMATCH[4]}
failed=$failed_cases
if [ "$failures" -gt 0 ] && [ "$failed" -eq 0 ]; then
  failed=$(( failures < executed - skipped ? failures : executed - skipped ))
fi
passed=$((executed - skipped - failed))
[ "$passed" -ge 0 ] || passed=0
echo "$passed passed, $skipped skipped, $failed failed"
[ "$failures" -eq 0 ] || exit 1
