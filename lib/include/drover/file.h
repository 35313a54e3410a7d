/*
 * Reading a file named by the configuration: bounded in size and in time.
 * A file on a hung NFS mount (or a FIFO with no writer) blocks open() and
 * read() for ever, and no flag bounds that; a worker thread with a
 * deadline does.
 */
#ifndef DROVER_FILE__H
#define DROVER_FILE__H

#include <glib.h>

#include <drover/deadline.h>

/*!
 * \brief Read the whole of the regular file \p path, of at most
 *        \p max_bytes, by \p deadline
 *
 * open(), fstat() and read() run in a worker (drover_deadline_run()).  If
 * the file system does not answer by \p deadline, DROVER_RC_TIMEOUT is
 * returned at once; the worker may stay blocked, owns everything it
 * touches and frees it if the call ever returns (the caller has nothing
 * to free).  A deadline already passed is a timeout without trying.
 *
 * \param[in]  path       the file (symbolic links are followed)
 * \param[in]  max_bytes  the largest size accepted
 * \param[in]  deadline   when to give up
 * \param[out] contents   on success, the bytes read with a NUL after them
 *                        (free with g_free()); NULL otherwise
 * \param[out] length     on success, how many bytes were read, without
 *                        the NUL (may be NULL)
 * \param[out] reason     on failure, why, for a person, naming \p path
 *                        (may be NULL)
 *
 * \return 0; DROVER_RC_TIMEOUT when the file system did not answer in
 *         time; EFBIG when the file is larger than \p max_bytes;
 *         DROVER_RC_CONFIG when \p path is not a regular file (a
 *         directory, a FIFO, a device: refused without reading it); or
 *         the errno of open() or read() (ENOENT, EACCES...)
 */
int drover_file_read(const char *path, gsize max_bytes,
                     drover_deadline_t deadline, char **contents, gsize *length,
                     GString *reason);

#endif /* DROVER_FILE__H */
