/* watch.h - notices changes to the config file however they are made: in
 * place, by rename (editors, git checkout) or by symlink swap (ConfigMaps). */
#ifndef ACE_WATCH_H
#define ACE_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct watch;

/* Watches the directory holding `path` and, when `path` is a symlink, the
 * directory of its final target too. Returns NULL with a message in err. */
struct watch *watch_new(const char *path, char *err, size_t errlen);
void watch_free(struct watch *w);

/* The inotify descriptor to put in the event loop (readable = events). */
int watch_fd(const struct watch *w);

/* What the pending events say (anything in a watched directory counts: it
 * is cheap, and the caller dedups by content). */
enum watch_change {
	WATCH_NONE = 0,
	WATCH_WRITTEN, /* written in place, created, deleted: may be half done */
	WATCH_RENAMED, /* something renamed into place: complete, act at once */
};

/* Drains pending events and says what they were. Re-arms the symlink-target
 * watch when the link now points elsewhere. */
enum watch_change watch_drain(struct watch *w);

/* Reads the file and tells whether its content differs from the last call
 * that returned true (FNV-1a of the bytes). Returns -1 when it cannot be
 * read, 0 unchanged, 1 changed. The content is returned in *buf (malloc'd)
 * when changed. */
int watch_read_if_changed(struct watch *w, char **buf, size_t *len);

/* Forgets the last content, so the next read counts as a change (SIGHUP). */
void watch_forget(struct watch *w);

#endif
