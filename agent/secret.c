/* secret.c - reading credentials from files.
 * The file is opened once and checked through its descriptor (no race
 * between the permission check and the read); memory is wiped on free. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

/* Bind passwords are short; anything larger is a wrong file. */
#define SECRET_MAX 4096

char *secret_read_file(const char *path, struct buf *err)
{
	struct stat st;
	char *s = NULL;
	ssize_t n;
	size_t len = 0;
	int fd, ok = 0;

	fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		(void)!buf_printf(err, "password file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		(void)!buf_printf(err, "password file %s: %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)!buf_printf(err, "password file %s: not a regular file", path);
		goto done;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		(void)!buf_printf(err,
		                  "password file %s: refused, it is accessible by group or others "
		                  "(mode %04o); run chmod 600 %s",
		                  path, (unsigned)(st.st_mode & 07777), path);
		goto done;
	}
	s = malloc(SECRET_MAX + 1);
	if (s == NULL) {
		(void)!buf_printf(err, "password file %s: out of memory", path);
		goto done;
	}
	while (len < SECRET_MAX) {
		n = read(fd, s + len, SECRET_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			(void)!buf_printf(err, "password file %s: %s", path, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == SECRET_MAX) {
		(void)!buf_printf(err, "password file %s: larger than %d bytes", path, SECRET_MAX);
		goto done;
	}
	/* Editors add a final newline; a password never ends in one. */
	if (len > 0 && s[len - 1] == '\n')
		len--;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	s[len] = '\0';
	if (len == 0) {
		(void)!buf_printf(err, "password file %s: empty", path);
		goto done;
	}
	if (strlen(s) != len) {
		(void)!buf_printf(err, "password file %s: holds a NUL byte", path);
		goto done;
	}
	ok = 1;
done:
	close(fd);
	if (!ok && s != NULL) {
		explicit_bzero(s, SECRET_MAX + 1);
		free(s);
		s = NULL;
	}
	return s;
}

void secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}
