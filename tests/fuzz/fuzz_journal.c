/* fuzz_journal.c - fuzz target for reading a journal back.
 * Whatever bytes the file holds, journal_verify and journal_undo must
 * report problems and never crash, leak or read out of bounds. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/dirmail-fuzz-journal-XXXXXX";
	struct journal_select sel = {1700000000, "20261122T100000Z-42-1",
	                             "cn=x,dc=example,dc=test"};
	struct buf report = BUF_INIT, out = BUF_INIT;
	long n = 0, nsel = 0;
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		(void)!journal_verify(path, &report, &n);
		(void)!journal_undo(path, 0, &out, &report, &n);
		buf_reset(&out);
		(void)!journal_undo(path, 1700000000, &out, &report, &n);
		buf_reset(&out);
		(void)!journal_undo_select(path, &sel, &out, &report, &n, &nsel);
	}
	close(fd);
	unlink(path);
	buf_free(&report);
	buf_free(&out);
	return 0;
}
