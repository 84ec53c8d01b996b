/* kb_export.h — the network as data (knotfinder kb export --json). */
#ifndef KF_KB_EXPORT_H
#define KF_KB_EXPORT_H

#include <jansson.h>

#include "kb.h"

/* The causes, findings, links and habit -> muscle chains with every number
 * the engine uses; NULL when out of memory.  The caller json_decref()s. */
json_t *kf_kb_export_json(const kf_kb *kb);

#endif
