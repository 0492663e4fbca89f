#!/bin/sh
# The crash example's standard error must hold fragile's crash report.
err=$1
for line in '** Generic server fragile <0.3.0> terminating' \
            '** Last message in was {divide,1,0}' \
            '** When Server state == #{label => <<"numbers">>,divisions => 1}' \
            "** 'assert: b != 0 (examples/crash/fragile.srv:24)'" \
            '** Client <0.1.0> was waiting for the reply'; do
    grep -qF -- "$line" "$err" || { echo "missing from the crash report: $line"; exit 1; }
done
