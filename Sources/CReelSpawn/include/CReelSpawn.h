// glibc's posix_spawn extensions, which Swift's Glibc module does not expose (they need
// _GNU_SOURCE). The header includes no system headers, so it cannot clash with Glibc's module;
// `actions` is a `posix_spawn_file_actions_t *`.
#ifndef CREELSPAWN_H
#define CREELSPAWN_H

/// Closes every descriptor >= `from` in the child (glibc 2.34+), with one close_range call.
int reel_spawn_addclosefrom(void *actions, int from);

/// Changes the child's working directory (glibc 2.29+).
int reel_spawn_addchdir(void *actions, const char *path);

#endif
