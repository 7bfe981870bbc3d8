/*
 * The Invoke-compatible endpoint: POST /2015-03-31/functions/{name}/invocations
 * on Parley's listener, answering as the Lambda service does, so that
 * `aws lambda invoke --endpoint-url` and the AWS SDKs call the registered
 * functions (local or remote) through Parley.
 *
 * The handler checks the request, calls lambda_invoke and returns without
 * answering; the done callback answers from whichever thread finishes the
 * invocation (the connection stays suspended meanwhile).
 *
 * Statuses: RequestResponse 200 (a function error is still 200, with
 * X-Amz-Function-Error), Event 202, DryRun 204; service errors carry
 * x-amzn-ErrorType and {"message"} (ResourceNotFoundException 404,
 * TooManyRequestsException 429, RequestTooLargeException 413,
 * InvalidRequestContentException 400, ...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/lambda_internal.h"
#include "server/http.h"

static void invoke_done(const struct lambda_result *r, void *ud)
{
    struct http_request *req = ud;
    if (r->outcome == LAMBDA_THROTTLED || r->outcome == LAMBDA_NOT_FOUND ||
        r->outcome == LAMBDA_SERVICE_ERROR) {
        struct http_response *resp = http_response_new(r->status ? r->status : 500);
        if (!resp) {
            http_respond(req, NULL);
            return;
        }
        const char *type = r->error_type ? r->error_type : "ServiceException";
        struct buf b = BUF_INIT(8192);
        buf_puts(&b, "{\"Type\":\"User\",\"message\":");
        const char *msg = r->message ? r->message : "The function could not be invoked.";
        buf_json_string(&b, msg, strlen(msg));
        if (r->outcome == LAMBDA_THROTTLED)
            buf_puts(&b, ",\"Reason\":\"ReservedFunctionConcurrentInvocationLimitExceeded\"");
        buf_puts(&b, "}");
        http_response_header(resp, "Content-Type", "application/json");
        http_response_header(resp, "x-amzn-ErrorType", type);
        http_response_header(resp, "x-amzn-RequestId", r->request_id ? r->request_id : "");
        if (r->outcome == LAMBDA_THROTTLED)
            http_response_header(resp, "Retry-After", "1");
        size_t len;
        char *body = buf_detach(&b, &len);
        if (body)
            http_response_body_take(resp, body, len);
        http_respond(req, resp);
        return;
    }
    struct http_response *resp = http_response_new(r->status ? r->status : 200);
    if (!resp) {
        http_respond(req, NULL);
        return;
    }
    http_response_header(resp, "x-amzn-RequestId", r->request_id ? r->request_id : "");
    if (r->status != 202 && r->status != 204) {
        http_response_header(resp, "Content-Type", "application/json");
        http_response_header(resp, "X-Amz-Executed-Version", "$LATEST");
        if (r->function_error)
            http_response_header(resp, "X-Amz-Function-Error", r->function_error);
        if (r->log_tail) {
            char *b64 = base64_encode(r->log_tail, r->log_tail_len);
            if (b64)
                http_response_header(resp, "X-Amz-Log-Result", b64);
            free(b64);
        }
        http_response_body(resp, r->payload, r->len);
    }
    http_respond(req, resp);
}

static void handle_invoke(struct http_request *req, void *ud)
{
    struct lambda_registry *reg = ud;
    const char *name = http_request_param(req, "name");
    const char *qualifier = http_request_query(req, "Qualifier");
    const char *type = http_request_header(req, "X-Amz-Invocation-Type");
    const char *log_type = http_request_header(req, "X-Amz-Log-Type");
    size_t len;
    const char *body = http_request_body(req, &len);

    struct lambda_invoke_opts o = {.type = LAMBDA_REQUEST_RESPONSE};
    if (!type || strcmp(type, "RequestResponse") == 0)
        o.type = LAMBDA_REQUEST_RESPONSE;
    else if (strcmp(type, "Event") == 0)
        o.type = LAMBDA_EVENT;
    else if (strcmp(type, "DryRun") == 0)
        o.type = LAMBDA_DRY_RUN;
    else {
        http_respond_error(req, 400, "InvalidParameterValueException",
                           "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun.");
        return;
    }
    if (log_type && strcmp(log_type, "Tail") != 0 && strcmp(log_type, "None") != 0) {
        http_respond_error(req, 400, "InvalidParameterValueException",
                           "X-Amz-Log-Type must be None or Tail.");
        return;
    }
    o.log_tail = log_type && strcmp(log_type, "Tail") == 0 && o.type == LAMBDA_REQUEST_RESPONSE;
    o.client_context = http_request_header(req, "X-Amz-Client-Context");
    if (o.client_context) {
        size_t cl;
        char *cc = base64_decode(o.client_context, &cl);
        bool ok = cc && strlen(o.client_context) <= 3583;
        free(cc);
        if (!ok) {
            http_respond_error(req, 400, "InvalidParameterValueException",
                               "X-Amz-Client-Context must be base64 JSON of at most 3583 bytes.");
            return;
        }
    }
    if (len > LAMBDA_PAYLOAD_MAX) {
        http_respond_error(req, 413, "RequestTooLargeException",
                           "Request must be smaller than %u bytes for the Invoke operation",
                           LAMBDA_PAYLOAD_MAX);
        return;
    }
    if (len) {
        cJSON *j = cJSON_ParseWithLength(body, len);
        if (!j) {
            http_respond_error(req, 400, "InvalidRequestContentException",
                               "Could not parse request body into json: the payload is not "
                               "valid JSON.");
            return;
        }
        cJSON_Delete(j);
    }
    /* The name may be a name, a partial or full ARN, or name:qualifier */
    char full[512];
    if (qualifier && *qualifier) {
        snprintf(full, sizeof full, "%s:%s", name ? name : "", qualifier);
        name = full;
    }
    if (!lambda_function_find(reg, name)) {
        http_respond_error(req, 404, "ResourceNotFoundException",
                           "Function not found: arn:aws:lambda:us-east-1:%s:function:%s",
                           LAMBDA_ACCOUNT, name ? name : "");
        return;
    }
    lambda_invoke(reg, name, len ? body : "{}", len ? len : 2, &o, invoke_done, req);
}

int endpoint_routes_add(struct lambda_registry *reg, struct http_server *srv)
{
    struct http_route_opts o = {.errors = HTTP_ERRORS_AWS,
                                .max_body_bytes = LAMBDA_PAYLOAD_MAX + 1024};
    return http_route_add(srv, "POST", "/2015-03-31/functions/{name}/invocations", &o,
                          handle_invoke, reg);
}
