/* config_json.h - the effective config as a JSON object for GET /config:
 * the YAML's keys and defaults filled in, secrets "<redacted>". */
#ifndef ACE_CONFIG_JSON_H
#define ACE_CONFIG_JSON_H

#include "config.h"

struct cJSON;

/* Same keys and value spellings as config_dump (durations "10s", ranges
 * "LO-HI", sizes "1g"); api keys appear only as "api_key": "<redacted>"
 * next to their api_key_file. The caller deletes the tree. */
struct cJSON *config_to_json(const struct config *c);

#endif
