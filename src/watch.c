/* watch.c - inotify on the config file's directory (and its symlink
 * target's), so renames and symlink swaps are seen; content-hash dedup. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "util.h"
#include "watch.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | \
		    IN_DELETE)
/* IN_ATTRIB is not in the mask on purpose: touching the file does not change
 * what it says. Symlink swaps show up as IN_MOVED_TO / IN_CREATE. */

struct watch {
	int fd;
	char *path;
	int wd_dir;      /* directory of path */
	int wd_target;   /* directory of the resolved target, -1 when same/none */
	char *target_dir;
	uint64_t last_hash;
	bool have_hash;
};

static char *dir_of(const char *path)
{
	char *copy = xstrdup(path);
	char *d = xstrdup(dirname(copy));
	free(copy);
	return d;
}

/* (Re)watches the directory of the file the path resolves to, when it is not
 * the path's own directory. */
static void watch_arm_target(struct watch *w)
{
	char resolved[PATH_MAX];
	char *tdir = NULL;
	if (realpath(w->path, resolved))
		tdir = dir_of(resolved);
	char own[PATH_MAX];
	char *pdir = dir_of(w->path);
	bool same = !tdir || (realpath(pdir, own) && strcmp(own, tdir) == 0);
	free(pdir);
	if (tdir && w->target_dir && strcmp(tdir, w->target_dir) == 0) {
		free(tdir);
		return;
	}
	if (w->wd_target >= 0) {
		inotify_rm_watch(w->fd, w->wd_target);
		w->wd_target = -1;
	}
	free(w->target_dir);
	w->target_dir = NULL;
	if (same) {
		free(tdir);
		return;
	}
	w->wd_target = inotify_add_watch(w->fd, tdir, WATCH_MASK);
	w->target_dir = tdir;
}

struct watch *watch_new(const char *path, char *err, size_t errlen)
{
	struct watch *w = xcalloc(1, sizeof *w);
	w->wd_target = -1;
	w->path = xstrdup(path);
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		sbuf_printf(err, errlen, "inotify_init1: %s", strerror(errno));
		goto fail;
	}
	char *dir = dir_of(path);
	w->wd_dir = inotify_add_watch(w->fd, dir, WATCH_MASK);
	if (w->wd_dir < 0) {
		sbuf_printf(err, errlen, "cannot watch %s: %s", dir, strerror(errno));
		free(dir);
		goto fail;
	}
	free(dir);
	watch_arm_target(w);
	return w;
fail:
	watch_free(w);
	return NULL;
}

void watch_free(struct watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	free(w->target_dir);
	free(w);
}

int watch_fd(const struct watch *w)
{
	return w->fd;
}

enum watch_change watch_drain(struct watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	enum watch_change c = WATCH_NONE;
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof buf);
		if (n <= 0)
			break;
		for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
			const struct inotify_event *e = (const struct inotify_event *)(buf + off);
			/* A rename into the directory is an atomic replacement
			 * (editors, git checkout, ConfigMap ..data swaps): the new
			 * content is complete. Anything else may be a write still
			 * under way. */
			if (e->mask & IN_MOVED_TO)
				c = WATCH_RENAMED;
			else if (c == WATCH_NONE)
				c = WATCH_WRITTEN;
			off += (ssize_t)sizeof *e + e->len;
		}
	}
	if (c != WATCH_NONE)
		watch_arm_target(w);
	return c;
}

int watch_read_if_changed(struct watch *w, char **out, size_t *outlen)
{
	size_t len;
	char *buf = read_file(w->path, 16 << 20, &len);
	if (!buf)
		return -1;
	uint64_t h = fnv1a64(FNV1A64_INIT, buf, len);
	if (w->have_hash && h == w->last_hash) {
		free(buf);
		return 0;
	}
	w->last_hash = h;
	w->have_hash = true;
	*out = buf;
	*outlen = len;
	return 1;
}

void watch_forget(struct watch *w)
{
	w->have_hash = false;
}
