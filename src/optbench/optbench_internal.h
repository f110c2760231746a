/* optbench_internal.h — pieces shared by the optimizer benchmark's writers (not public API). */
#ifndef NUCSEG_OPTBENCH_INTERNAL_H
#define NUCSEG_OPTBENCH_INTERNAL_H

#include "nucseg/optbench.h"

/* OUT/{rmsd,time,success}_vs_perturbation.{png,svg}. */
ns_status ns_optbench_write_plots(const char *out, const ns_optbench_result *r, const ns_optbench_pairs *pl,
                                  int trials, ns_error *err);

#endif
