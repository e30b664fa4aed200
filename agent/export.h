/* export.h - the auditors' snapshot of every recipient's mail state.
 * Deterministic LDIF: entries sorted by DN, attributes by name, values by
 * bytes, so two snapshots diff cleanly; secrets never appear. */
#ifndef DIRMAIL_EXPORT_H
#define DIRMAIL_EXPORT_H

#include <sys/types.h>

#include "attrs.h"
#include "buf.h"
#include "ldapc.h"

/* Reads the account entry and every user, list and contact under base and
 * appends the snapshot ("version: 1", then one content record per object)
 * to out. Returns a sysexits code, having logged why when not EX_OK. */
int export_run(struct ldapc *l, const char *base, int page_size, struct buf *out) DM_WUR;
/* Returns 1 when an export carries attribute attr: names, identity,
 * every dirmail* attribute and the derived mail attributes; 0 else. */
int export_wants(const char *attr);
/* Sorts e in place the way an export lists it: attributes by name
 * (case-insensitive), values by bytes. */
void export_sort_entry(struct entry *e);
/* Writes data to path atomically (a temporary file in the same directory,
 * fsync, rename; mode 0600); -1 with "path: reason" in err. */
int export_write_file(const char *path, const char *data, size_t len, struct buf *err) DM_WUR;
/* export_write_file with the file's mode given (0644 for a file another
 * user, node_exporter, reads), whatever the umask. */
int export_write_file_mode(const char *path, const char *data, size_t len, mode_t mode,
                           struct buf *err) DM_WUR;

#endif
