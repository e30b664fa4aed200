/* fuzz_conf.c - fuzz target for the config loader.
 * Whatever bytes the file holds, conf_load must report errors and conf_print
 * print what was read, and neither may crash, leak or read out of bounds. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/dirmail-fuzz-conf-XXXXXX";
	struct buf errs = BUF_INIT;
	struct conf c;
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size && conf_init(&c) == 0) {
		(void)!conf_load(&c, path, &errs);
		(void)!conf_check(&c, &errs);
		(void)!conf_print(&c, 0, &errs);
		conf_free(&c);
	}
	close(fd);
	unlink(path);
	buf_free(&errs);
	return 0;
}
