/* replay.c - runs a fuzz target over files, without libFuzzer.
 * With file arguments it feeds each one; without, every file of the seed
 * corpus $top_srcdir/tests/fuzz/corpus/NAME of program fuzz_NAME_replay
 * (NAME may hold underscores),
 * so `make check` replays the corpus (under ASan and valgrind too). */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	long size;
	int rc = -1;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto done;
	data = malloc((size_t)size + 1);
	if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size)
		goto done;
	LLVMFuzzerTestOneInput(data, (size_t)size);
	rc = 0;
done:
	if (rc < 0)
		fprintf(stderr, "replay: cannot read %s\n", path);
	free(data);
	if (f)
		fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir"), *base = strrchr(argv[0], '/');
	char dir[4096], path[4096 + 256];
	struct dirent *de;
	size_t len;
	int i, n = 0, bad = 0;
	DIR *d;

	for (i = 1; i < argc; i++, n++)
		bad |= run_file(argv[i]);
	if (argc > 1)
		return bad ? 1 : 0;
	base = base ? base + 1 : argv[0];
	if (strncmp(base, "fuzz_", 5) == 0)
		base += 5;
	len = strlen(base);
	if (len > 7 && strcmp(base + len - 7, "_replay") == 0)
		len -= 7;
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%.*s", top ? top : ".", (int)len, base);
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "replay: cannot open the corpus %s\n", dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		bad |= run_file(path);
		n++;
	}
	closedir(d);
	printf("replayed %d inputs from %s\n", n, dir);
	return bad || n == 0 ? 1 : 0;
}
