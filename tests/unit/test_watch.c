/* test_watch.c - unit tests of watch.c against the real inotify: in-place
 * writes, editor-style renames, symlink swaps, and content dedup. */
#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "watch.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/ace-watch-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

static void write_at(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static bool wait_event(struct watch *w)
{
	struct pollfd pfd = { .fd = watch_fd(w), .events = POLLIN };
	if (poll(&pfd, 1, 2000) != 1)
		return false;
	return watch_drain(w);
}

static char *read_change(struct watch *w, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	*rc = watch_read_if_changed(w, &buf, &len);
	return buf;
}

START_TEST(in_place_write_is_seen_and_deduped)
{
	write_at("orchestrator.yaml", "version: 1\n");
	char *path = xasprintf("%s/orchestrator.yaml", dir);
	char err[256];
	struct watch *w = watch_new(path, err, sizeof err);
	ck_assert_msg(w != NULL, "%s", err);
	int rc;
	char *b = read_change(w, &rc);
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(b, "version: 1\n");
	free(b);
	write_at("orchestrator.yaml", "version: 1\n");
	ck_assert(wait_event(w));
	b = read_change(w, &rc);
	ck_assert_int_eq(rc, 0); /* same bytes: no reload */
	ck_assert_ptr_null(b);
	write_at("orchestrator.yaml", "version: 2\n");
	ck_assert(wait_event(w));
	b = read_change(w, &rc);
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(b, "version: 2\n");
	free(b);
	watch_forget(w);
	b = read_change(w, &rc);
	ck_assert_int_eq(rc, 1); /* SIGHUP: forced */
	free(b);
	watch_free(w);
	free(path);
}
END_TEST

START_TEST(editor_rename_is_seen)
{
	write_at("orchestrator.yaml", "a\n");
	char *path = xasprintf("%s/orchestrator.yaml", dir);
	char err[256];
	struct watch *w = watch_new(path, err, sizeof err);
	ck_assert_ptr_nonnull(w);
	int rc;
	free(read_change(w, &rc));
	write_at(".orchestrator.yaml.swp", "b\n");
	char *tmp = xasprintf("%s/.orchestrator.yaml.swp", dir);
	ck_assert_int_eq(rename(tmp, path), 0);
	ck_assert(wait_event(w));
	char *b = read_change(w, &rc);
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(b, "b\n");
	free(b);
	free(tmp);
	watch_free(w);
	free(path);
}
END_TEST

/* Kubernetes ConfigMap layout: file -> ..data/file, ..data -> ..v1, swapped
 * atomically by renaming a new symlink over ..data. */
START_TEST(symlink_swap_is_seen)
{
	char *p = xasprintf("mkdir %s/..v1 %s/..v2 && echo one > %s/..v1/orchestrator.yaml && "
			    "echo two > %s/..v2/orchestrator.yaml && ln -s ..v1 %s/..data && "
			    "ln -s ..data/orchestrator.yaml %s/orchestrator.yaml",
			    dir, dir, dir, dir, dir, dir);
	ck_assert_int_eq(system(p), 0);
	free(p);
	char *path = xasprintf("%s/orchestrator.yaml", dir);
	char err[256];
	struct watch *w = watch_new(path, err, sizeof err);
	ck_assert_ptr_nonnull(w);
	int rc;
	char *b = read_change(w, &rc);
	ck_assert_str_eq(b, "one\n");
	free(b);
	p = xasprintf("ln -s ..v2 %s/..data_tmp && mv -T %s/..data_tmp %s/..data", dir, dir, dir);
	ck_assert_int_eq(system(p), 0);
	free(p);
	ck_assert(wait_event(w));
	b = read_change(w, &rc);
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(b, "two\n");
	free(b);
	watch_free(w);
	free(path);
}
END_TEST

START_TEST(missing_directory_is_an_error)
{
	char err[256] = "";
	struct watch *w = watch_new("/nonexistent-ace-dir/orchestrator.yaml", err, sizeof err);
	ck_assert_ptr_null(w);
	ck_assert_ptr_nonnull(strstr(err, "cannot watch /nonexistent-ace-dir"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("inotify");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, in_place_write_is_seen_and_deduped);
	tcase_add_test(tc, editor_rename_is_seen);
	tcase_add_test(tc, symlink_swap_is_seen);
	tcase_add_test(tc, missing_directory_is_an_error);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
