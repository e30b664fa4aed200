#!/bin/sh
# quota-warning.sh USER - tells a POP/IMAP user that the mailbox is nearly
# full. Run by Dovecot's quota-warning service (90-dirmail.conf) when the
# mailbox grows past mDBStorageQuota, the warning dirmail writes. Install
# as /usr/local/bin/dirmail-quota-warning, mode 0755.
set -eu
user=$1
/usr/lib/dovecot/dovecot-lda -d "$user" -o "plugin/quota=count:User quota:noenforcing" <<MSG
From: postmaster
To: $user
Subject: Your mailbox is nearly full
Content-Type: text/plain; charset=utf-8

Your mailbox is nearly full. Delete or archive messages you no longer
need, or ask your administrator for more space: once it is full, new
mail is refused.
MSG
