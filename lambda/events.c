/* stub */
#include "lambda/lambda_internal.h"
int event_queue_start(struct lambda_registry *reg)
{
    return 0;
}
int event_enqueue(struct lambda_registry *reg, struct lambda_function *fn, const char *payload,
                  size_t len, const char *client_context, char id_out[40])
{
    return PARLEY_EIO;
}
void event_queue_stop(struct lambda_registry *reg)
{
}
