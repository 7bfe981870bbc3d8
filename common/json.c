/* Small conveniences over cJSON: typed lookups that never crash on a missing key. */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

const char *json_string(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool json_number(const cJSON *obj, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        return false;
    *out = v->valuedouble;
    return true;
}

char *json_print(const cJSON *json, size_t *len)
{
    char *s = cJSON_PrintUnformatted(json);
    if (s && len)
        *len = strlen(s);
    return s;
}
