/* exit_codes.h — the exit statuses of nucseg processes: every subcommand's, and those an
 * MPI rank ends or aborts the job with (dist/). Not the library's results, which are
 * ns_status. A batch stopped by a signal exits with 128 + the signal's number, as a shell
 * reports it. */
#ifndef NUCSEG_UTIL_EXIT_CODES_H
#define NUCSEG_UTIL_EXIT_CODES_H

enum {
    NS_EXIT_OK = 0,          /* every image processed */
    NS_EXIT_SOME_FAILED = 1, /* the batch ran; at least one image failed (see summary) */
    NS_EXIT_USAGE = 2,       /* bad command line */
    NS_EXIT_FATAL = 3        /* nothing could run: no inputs, output dir unwritable, ... */
};

#endif
