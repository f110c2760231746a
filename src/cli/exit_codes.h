/* exit_codes.h — the exit statuses of every nucseg subcommand (the CLI's, not the
 * library's: the library returns ns_status). A batch stopped by a signal exits with
 * 128 + the signal's number, as a shell reports it. */
#ifndef NUCSEG_CLI_EXIT_CODES_H
#define NUCSEG_CLI_EXIT_CODES_H

enum {
    NS_EXIT_OK = 0,          /* every image processed */
    NS_EXIT_SOME_FAILED = 1, /* the batch ran; at least one image failed (see summary) */
    NS_EXIT_USAGE = 2,       /* bad command line */
    NS_EXIT_FATAL = 3        /* nothing could run: no inputs, output dir unwritable, ... */
};

#endif
