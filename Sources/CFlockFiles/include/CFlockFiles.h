// CFlockFiles: the Linux file-system calls Swift's Glibc module does not import.
//
// Publishing a dataset folder atomically needs renameat2(2): RENAME_NOREPLACE (move a
// finished folder into place only if nothing is there) and RENAME_EXCHANGE (swap a finished
// folder with the one it replaces in one step). glibc declares renameat2 only under
// _GNU_SOURCE, which the Swift importer does not set.
#ifndef CFLOCK_FILES_H
#define CFLOCK_FILES_H

#ifdef __cplusplus
extern "C" {
#endif

/// Renames `from` to `to` only if `to` does not exist. Returns 0, or -1 with errno set
/// (EEXIST when `to` exists; EINVAL or ENOSYS where the file system or kernel lacks it).
int flock_rename_noreplace(const char *from, const char *to);

/// Swaps `a` and `b` (both must exist) in one step. Returns 0, or -1 with errno set
/// (EINVAL or ENOSYS where the file system or kernel lacks it).
int flock_rename_exchange(const char *a, const char *b);

#ifdef __cplusplus
}
#endif

#endif
