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

/* Opens path, what it holds named what in messages ("password file"),
 * and checks it through the descriptor: a regular file that group and
 * others cannot access. Returns the descriptor, or -1 with one line in err. */
static int open_private(const char *path, const char *what, struct buf *err)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		(void)!buf_printf(err, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		(void)!buf_printf(err, "%s %s: %s", what, path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		(void)!buf_printf(err, "%s %s: not a regular file", what, path);
	} else if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		(void)!buf_printf(err,
		                  "%s %s: refused, it is accessible by group or others "
		                  "(mode %04o); run chmod 600 %s",
		                  what, path, (unsigned)(st.st_mode & 07777), path);
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

int secret_check_file(const char *path, const char *what, struct buf *err)
{
	int fd = open_private(path, what, err);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

char *secret_read_file(const char *path, struct buf *err)
{
	char *s = NULL;
	ssize_t n;
	size_t len = 0;
	int fd, ok = 0;

	fd = open_private(path, "password file", err);
	if (fd < 0)
		return NULL;
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
