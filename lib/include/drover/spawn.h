/*
 * Running a Pacemaker tool where it is the only public interface: an argv
 * vector (never a shell string) with a deadline.
 */
#ifndef DROVER_SPAWN__H
#define DROVER_SPAWN__H

#include <glib.h>

#include <drover/deadline.h>

/*!
 * \brief Run \p argv, wait for it until \p deadline, collect its output
 *
 * The program is looked up in PATH.  At the deadline it is killed
 * (SIGKILL) and DROVER_RC_TIMEOUT returned, half a second later at most: a
 * program that does not die of SIGKILL (asleep in the kernel on a hung
 * file system, state D) is logged and left behind, reaped when it dies.
 *
 * \param[in]  argv         NULL-terminated argument vector
 * \param[in]  deadline     When to give up
 * \param[out] out          Standard output (may be NULL)
 * \param[out] err          Standard error (may be NULL)
 * \param[out] exit_status  Exit status when it exited, else -1
 *
 * \return 0 when it ran and exited (whatever its status), else a result
 */
int drover_spawn(const char *const *argv, drover_deadline_t deadline,
                 char **out, char **err, int *exit_status);

/*!
 * \brief drover_spawn(), with the variables \p unset (NULL-terminated names,
 *        or NULL) taken out of the program's environment
 */
int drover_spawn_env(const char *const *argv, const char *const *unset,
                     drover_deadline_t deadline, char **out, char **err,
                     int *exit_status);

#endif /* DROVER_SPAWN__H */
