#!/bin/sh
# The bank example's standard error must hold alice's crash report and her
# supervisor's report, as OTP's logger prints them: the account crashed on
# a bad request, and accounts (transient) started her again.
err=$1
for line in '** Generic server account <0.6.0> registered as acct:alice terminating' \
            '** Last message in was {withdraw,-5}' \
            "** 'assert: amount >= 0 (examples/bank/account.srv:37)'" \
            '    supervisor: accounts' \
            '    errorContext: child_terminated' \
            '               {restart_type,transient},'; do
    grep -qF -- "$line" "$err" || { echo "missing from the reports: $line"; exit 1; }
done
