/*
 * Input coercion, as the spec's CoerceVariableValues and
 * CoerceArgumentValues and graphql-js's coerceInputValue and valueFromAST
 * define it, with graphql-js's messages word for word (clients and tests
 * compare them). Values are cJSON throughout: a variable's JSON is checked
 * and rebuilt against its type (absent vs null kept apart, a single value
 * wrapped into a list, input objects' defaults filled in, unknown fields
 * rejected), a literal is turned into the same shape with the coerced
 * variables substituted. Coercion happens once per execution (variables)
 * or once per field group (arguments: execute.c caches them), never per
 * resolved item, so it favours plain code over speed.
 *
 * The printers graphql-js's messages and introspection need live here
 * too: inspect() for JSON values, print() for literals, and
 * print(astFromValue()) for default values.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/execute_internal.h"

/* graphql-js stops collecting variable errors here. */
#define MAX_VARIABLE_ERRORS 50

/* ---- the string buffer ---- */

bool gql_sb_reserve(struct gql_sb *sb, size_t extra)
{
    if (sb->oom)
        return false;
    if (sb->cap - sb->len <= extra) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap - sb->len <= extra)
            cap *= 2;
        char *n = realloc(sb->s, cap);
        if (n == NULL) {
            sb->oom = true;
            return false;
        }
        sb->s = n;
        sb->cap = cap;
    }
    return true;
}

void gql_sb_add(struct gql_sb *sb, const char *s, size_t len)
{
    if (!gql_sb_reserve(sb, len))
        return;
    memcpy(sb->s + sb->len, s, len);
    sb->len += len;
    sb->s[sb->len] = '\0';
}

void gql_sb_adds(struct gql_sb *sb, const char *s)
{
    gql_sb_add(sb, s, strlen(s));
}

void gql_sb_addf(struct gql_sb *sb, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->oom = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        gql_sb_add(sb, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (big == NULL) {
        sb->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    gql_sb_add(sb, big, (size_t)n);
    free(big);
}

char *gql_sb_take(struct gql_sb *sb)
{
    if (sb->oom) {
        free(sb->s);
        sb->s = NULL;
        return NULL;
    }
    char *s = sb->s ? sb->s : strdup("");
    sb->s = NULL;
    sb->len = sb->cap = 0;
    return s;
}

/* ---- printing as graphql-js does ---- */

const char *gql_js_number(double d, char buf[32])
{
    if (isnan(d))
        return "NaN";
    if (isinf(d))
        return d > 0 ? "Infinity" : "-Infinity";
    if (d == 0)
        return "0";
    if (d == floor(d) && fabs(d) < 9007199254740992.0) { /* 2^53: every digit is exact */
        snprintf(buf, 32, "%.0f", d);
        return buf;
    }
    /* The shortest digits that read back as d, then ECMAScript's Number::toString layout. */
    char e[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, d);
        if (strtod(e, NULL) == d)
            break;
    }
    const char *p = e;
    bool neg = *p == '-';
    if (neg)
        p++;
    char digits[24];
    int k = 0;
    for (; *p != 'e' && *p != '\0'; p++)
        if (*p >= '0' && *p <= '9' && k < 20)
            digits[k++] = *p;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
    int n = (*p == 'e' ? atoi(p + 1) : 0) + 1; /* position of the decimal point */
    size_t o = 0;
    if (neg)
        buf[o++] = '-';
    if (k <= n && n <= 21) {
        for (int i = 0; i < k; i++)
            buf[o++] = digits[i];
        for (int i = k; i < n; i++)
            buf[o++] = '0';
    } else if (0 < n && n <= 21) {
        for (int i = 0; i < k; i++) {
            if (i == n)
                buf[o++] = '.';
            buf[o++] = digits[i];
        }
    } else if (-6 < n && n <= 0) {
        buf[o++] = '0';
        buf[o++] = '.';
        for (int i = 0; i < -n; i++)
            buf[o++] = '0';
        for (int i = 0; i < k; i++)
            buf[o++] = digits[i];
    } else {
        buf[o++] = digits[0];
        if (k > 1) {
            buf[o++] = '.';
            for (int i = 1; i < k; i++)
                buf[o++] = digits[i];
        }
        o += (size_t)snprintf(buf + o, 32 - o, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
        return buf;
    }
    buf[o] = '\0';
    return buf;
}

/* JSON.stringify of a string. */
static void json_string(struct gql_sb *sb, const char *s)
{
    gql_sb_add(sb, "\"", 1);
    const char *run = s;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        const char *esc = NULL;
        char u[8];
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (c < 0x20) {
                snprintf(u, sizeof u, "\\u%04x", c);
                esc = u;
            }
        }
        if (esc != NULL) {
            gql_sb_add(sb, run, (size_t)(s - run));
            gql_sb_adds(sb, esc);
            run = s + 1;
        }
    }
    gql_sb_add(sb, run, (size_t)(s - run));
    gql_sb_add(sb, "\"", 1);
}

/* graphql-js's printString: the literal a StringValue prints as. */
static void print_string(struct gql_sb *sb, const char *s)
{
    gql_sb_add(sb, "\"", 1);
    const unsigned char *p = (const unsigned char *)s, *run = p;
    for (; *p != '\0'; p++) {
        char u[8];
        const char *esc = NULL;
        size_t skip = 1;
        if (*p == '"')
            esc = "\\\"";
        else if (*p == '\\')
            esc = "\\\\";
        else if (*p == '\b')
            esc = "\\b";
        else if (*p == '\t')
            esc = "\\t";
        else if (*p == '\n')
            esc = "\\n";
        else if (*p == '\f')
            esc = "\\f";
        else if (*p == '\r')
            esc = "\\r";
        else if (*p < 0x20 || *p == 0x7f) {
            snprintf(u, sizeof u, "\\u%04X", *p);
            esc = u;
        } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) { /* U+0080..U+009F */
            snprintf(u, sizeof u, "\\u%04X", p[1]);
            esc = u;
            skip = 2;
        }
        if (esc != NULL) {
            gql_sb_add(sb, (const char *)run, (size_t)(p - run));
            gql_sb_adds(sb, esc);
            p += skip - 1;
            run = p + 1;
        }
    }
    gql_sb_add(sb, (const char *)run, (size_t)(p - run));
    gql_sb_add(sb, "\"", 1);
}

static void inspect_depth(struct gql_sb *sb, const cJSON *v, int seen)
{
    char num[32];
    if (v == NULL) {
        gql_sb_adds(sb, "undefined");
    } else if (cJSON_IsString(v)) {
        json_string(sb, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        gql_sb_adds(sb, gql_js_number(v->valuedouble, num));
    } else if (cJSON_IsBool(v)) {
        gql_sb_adds(sb, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsArray(v)) {
        int n = cJSON_GetArraySize(v);
        if (n == 0) {
            gql_sb_adds(sb, "[]");
            return;
        }
        if (seen + 1 > 2) {
            gql_sb_adds(sb, "[Array]");
            return;
        }
        gql_sb_add(sb, "[", 1);
        int i = 0;
        for (const cJSON *it = v->child; it != NULL && i < 10; it = it->next, i++) {
            if (i > 0)
                gql_sb_adds(sb, ", ");
            inspect_depth(sb, it, seen + 1);
        }
        if (n - i == 1)
            gql_sb_adds(sb, ", ... 1 more item");
        else if (n - i > 1)
            gql_sb_addf(sb, ", ... %d more items", n - i);
        gql_sb_add(sb, "]", 1);
    } else if (cJSON_IsObject(v)) {
        if (v->child == NULL) {
            gql_sb_adds(sb, "{}");
            return;
        }
        if (seen + 1 > 2) {
            gql_sb_adds(sb, "[Object]");
            return;
        }
        gql_sb_adds(sb, "{ ");
        for (const cJSON *it = v->child; it != NULL; it = it->next) {
            if (it != v->child)
                gql_sb_adds(sb, ", ");
            gql_sb_addf(sb, "%s: ", it->string ? it->string : "");
            inspect_depth(sb, it, seen + 1);
        }
        gql_sb_adds(sb, " }");
    } else {
        gql_sb_adds(sb, "null");
    }
}

void gql_inspect(struct gql_sb *sb, const cJSON *v)
{
    inspect_depth(sb, v, 0);
}

void gql_print_literal(struct gql_sb *sb, const struct gql_value *v)
{
    switch (v->kind) {
    case GQL_VALUE_VARIABLE:
        gql_sb_add(sb, "$", 1);
        gql_sb_adds(sb, v->text);
        break;
    case GQL_VALUE_INT:
    case GQL_VALUE_FLOAT:
    case GQL_VALUE_ENUM:
        gql_sb_adds(sb, v->text);
        break;
    case GQL_VALUE_STRING:
        print_string(sb, v->text);
        break;
    case GQL_VALUE_BOOLEAN:
        gql_sb_adds(sb, v->boolean ? "true" : "false");
        break;
    case GQL_VALUE_NULL:
        gql_sb_adds(sb, "null");
        break;
    case GQL_VALUE_LIST:
        gql_sb_add(sb, "[", 1);
        for (size_t i = 0; i < v->nitems; i++) {
            if (i > 0)
                gql_sb_adds(sb, ", ");
            gql_print_literal(sb, &v->items[i]);
        }
        gql_sb_add(sb, "]", 1);
        break;
    case GQL_VALUE_OBJECT:
        gql_sb_add(sb, "{", 1);
        for (size_t i = 0; i < v->nfields; i++) {
            if (i > 0)
                gql_sb_adds(sb, ", ");
            gql_sb_adds(sb, v->fields[i].name);
            gql_sb_adds(sb, ": ");
            gql_print_literal(sb, &v->fields[i].value);
        }
        gql_sb_add(sb, "}", 1);
        break;
    }
}

static bool is_integer_string(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        return s[1] == '\0';
    if (*s < '1' || *s > '9')
        return false;
    while (*s >= '0' && *s <= '9')
        s++;
    return *s == '\0';
}

static bool scalar_is(const struct gql_type *t, const char *name)
{
    return t->kind == GQL_KIND_SCALAR && t->name != NULL && strcmp(t->name, name) == 0;
}

/* A JSON value as an untyped literal (custom scalars' defaults). */
static void print_untyped(struct gql_sb *sb, const cJSON *v)
{
    char num[32];
    if (v == NULL || cJSON_IsNull(v)) {
        gql_sb_adds(sb, "null");
    } else if (cJSON_IsBool(v)) {
        gql_sb_adds(sb, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNumber(v)) {
        gql_sb_adds(sb, gql_js_number(v->valuedouble, num));
    } else if (cJSON_IsString(v)) {
        print_string(sb, v->valuestring);
    } else if (cJSON_IsArray(v)) {
        gql_sb_add(sb, "[", 1);
        for (const cJSON *it = v->child; it != NULL; it = it->next) {
            if (it != v->child)
                gql_sb_adds(sb, ", ");
            print_untyped(sb, it);
        }
        gql_sb_add(sb, "]", 1);
    } else if (cJSON_IsObject(v)) {
        gql_sb_add(sb, "{", 1);
        for (const cJSON *it = v->child; it != NULL; it = it->next) {
            if (it != v->child)
                gql_sb_adds(sb, ", ");
            gql_sb_addf(sb, "%s: ", it->string);
            print_untyped(sb, it);
        }
        gql_sb_add(sb, "}", 1);
    }
}

void gql_print_value(struct gql_sb *sb, const cJSON *v, const struct gql_type *type)
{
    char num[32];
    if (type->kind == GQL_KIND_NON_NULL)
        type = type->of_type;
    if (v == NULL || cJSON_IsNull(v)) {
        gql_sb_adds(sb, "null");
        return;
    }
    switch (type->kind) {
    case GQL_KIND_LIST:
        if (!cJSON_IsArray(v)) {
            gql_print_value(sb, v, type->of_type);
            return;
        }
        gql_sb_add(sb, "[", 1);
        for (const cJSON *it = v->child; it != NULL; it = it->next) {
            if (it != v->child)
                gql_sb_adds(sb, ", ");
            gql_print_value(sb, it, type->of_type);
        }
        gql_sb_add(sb, "]", 1);
        return;
    case GQL_KIND_INPUT_OBJECT: {
        if (!cJSON_IsObject(v)) {
            print_untyped(sb, v);
            return;
        }
        gql_sb_add(sb, "{", 1);
        bool first = true;
        for (size_t i = 0; i < type->ninput_fields; i++) {
            const cJSON *fv = cJSON_GetObjectItemCaseSensitive(v, type->input_fields[i].name);
            if (fv == NULL)
                continue;
            if (!first)
                gql_sb_adds(sb, ", ");
            first = false;
            gql_sb_adds(sb, type->input_fields[i].name);
            gql_sb_adds(sb, ": ");
            gql_print_value(sb, fv, type->input_fields[i].type);
        }
        gql_sb_add(sb, "}", 1);
        return;
    }
    case GQL_KIND_ENUM:
        if (cJSON_IsString(v))
            gql_sb_adds(sb, v->valuestring);
        else
            print_untyped(sb, v);
        return;
    default:
        break;
    }
    /* Scalars: by the JavaScript type of the serialized value. */
    if (cJSON_IsBool(v)) {
        gql_sb_adds(sb, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNumber(v)) {
        if (scalar_is(type, "String") || (scalar_is(type, "ID"))) {
            const char *s = gql_js_number(v->valuedouble, num);
            if (scalar_is(type, "ID") && is_integer_string(s))
                gql_sb_adds(sb, s);
            else
                print_string(sb, s);
        } else {
            gql_sb_adds(sb, gql_js_number(v->valuedouble, num));
        }
    } else if (cJSON_IsString(v)) {
        if (scalar_is(type, "ID") && is_integer_string(v->valuestring))
            gql_sb_adds(sb, v->valuestring);
        else
            print_string(sb, v->valuestring);
    } else {
        print_untyped(sb, v);
    }
}

/* ---- "Did you mean" (graphql-js's suggestionList and didYouMean) ---- */

static void lower(char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    for (; src[i] != '\0' && i + 1 < cap; i++)
        dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? (char)(src[i] - 'A' + 'a') : src[i];
    dst[i] = '\0';
}

/* graphql-js's LexicalDistance.measure: -1 when over threshold. */
static int lexical_distance(const char *input, const char *option, int threshold)
{
    if (strcmp(input, option) == 0)
        return 0;
    char a[128], b[128];
    lower(a, option, sizeof a);
    lower(b, input, sizeof b);
    if (strcmp(a, b) == 0)
        return 1;
    const char *s = a, *t = b;
    int sl = (int)strlen(a), tl = (int)strlen(b);
    if (sl < tl) {
        const char *x = s;
        s = t;
        t = x;
        int y = sl;
        sl = tl;
        tl = y;
    }
    if (sl - tl > threshold)
        return -1;
    int rows[3][129];
    for (int j = 0; j <= tl; j++)
        rows[0][j] = j;
    for (int i = 1; i <= sl; i++) {
        int *up = rows[(i - 1) % 3], *cur = rows[i % 3];
        int smallest = cur[0] = i;
        for (int j = 1; j <= tl; j++) {
            int cost = s[i - 1] == t[j - 1] ? 0 : 1;
            int c = up[j] + 1;
            if (cur[j - 1] + 1 < c)
                c = cur[j - 1] + 1;
            if (up[j - 1] + cost < c)
                c = up[j - 1] + cost;
            if (i > 1 && j > 1 && s[i - 1] == t[j - 2] && s[i - 2] == t[j - 1]) {
                int d = rows[(i - 2) % 3][j - 2] + 1;
                if (d < c)
                    c = d;
            }
            if (c < smallest)
                smallest = c;
            cur[j] = c;
        }
        if (smallest > threshold)
            return -1;
    }
    int d = rows[sl % 3][tl];
    return d <= threshold ? d : -1;
}

/* Appends " Did you mean ...?" for the options close to input (none: nothing). */
static void did_you_mean(struct gql_sb *sb, const char *sub, const char *input,
                         const char *const *options, size_t n)
{
    if (strlen(input) >= 127)
        return;
    int threshold = (int)(strlen(input) * 4 / 10) + 1;
    const char *best[5];
    int dist[5];
    size_t nb = 0;
    for (size_t i = 0; i < n; i++) {
        if (strlen(options[i]) >= 127)
            continue;
        int d = lexical_distance(input, options[i], threshold);
        if (d < 0)
            continue;
        /* insertion into the sorted top five (by distance, then name) */
        size_t at = nb;
        while (at > 0 &&
               (dist[at - 1] > d || (dist[at - 1] == d && strcmp(best[at - 1], options[i]) > 0)))
            at--;
        if (at >= 5)
            continue;
        size_t last = nb < 5 ? nb : 4;
        for (size_t k = last; k > at; k--) {
            best[k] = best[k - 1];
            dist[k] = dist[k - 1];
        }
        best[at] = options[i];
        dist[at] = d;
        if (nb < 5)
            nb++;
    }
    if (nb == 0)
        return;
    gql_sb_adds(sb, " Did you mean ");
    if (sub != NULL)
        gql_sb_addf(sb, "%s ", sub);
    for (size_t i = 0; i < nb; i++) {
        if (i > 0)
            gql_sb_adds(sb, nb == 2 ? " or " : (i == nb - 1 ? ", or " : ", "));
        gql_sb_addf(sb, "\"%s\"", best[i]);
    }
    gql_sb_add(sb, "?", 1);
}

static void did_you_mean_enum(struct gql_sb *sb, const struct gql_type *e, const char *input)
{
    const char *names[64];
    size_t n = e->nenum_values < 64 ? e->nenum_values : 64;
    for (size_t i = 0; i < n; i++)
        names[i] = e->enum_values[i].name;
    did_you_mean(sb, "the enum value", input, names, n);
}

/* ---- coerceInputValue: a variable's JSON against its type ---- */

struct ipath {
    const struct ipath *prev;
    const char *key; /* NULL: index */
    size_t index;
};

struct cctx {
    struct gql_errors *errs;
    const struct gql_variable_def *def;
    size_t nerrors;
    bool oom;
};

static void print_ipath(struct gql_sb *sb, const struct ipath *p)
{
    if (p == NULL)
        return;
    print_ipath(sb, p->prev);
    if (p->key != NULL)
        gql_sb_addf(sb, ".%s", p->key);
    else
        gql_sb_addf(sb, "[%zu]", p->index);
}

/* Records `Variable "$x" got invalid value V[ at "x.path"]; <detail>` (detail is consumed). */
static void input_error(struct cctx *c, const struct ipath *path, const cJSON *value,
                        struct gql_sb *detail)
{
    struct gql_sb sb = {0};
    gql_sb_addf(&sb, "Variable \"$%s\" got invalid value ", c->def->name);
    gql_inspect(&sb, value);
    if (path != NULL) {
        gql_sb_addf(&sb, " at \"%s", c->def->name);
        print_ipath(&sb, path);
        gql_sb_add(&sb, "\"", 1);
    }
    gql_sb_adds(&sb, "; ");
    gql_sb_adds(&sb, detail->s ? detail->s : "");
    bool detail_oom = detail->oom;
    free(detail->s);
    *detail = (struct gql_sb){0};
    if (sb.oom || detail_oom) {
        c->oom = true;
    } else if (c->nerrors < MAX_VARIABLE_ERRORS) {
        if (gql_errors_add(c->errs, NULL, &c->def->loc, 1, "%s", sb.s) < 0)
            c->oom = true;
    }
    c->nerrors++;
    free(sb.s);
}

static cJSON *parse_leaf(struct cctx *c, const cJSON *in, const struct gql_type *type,
                         const struct ipath *path)
{
    struct gql_sb d = {0};
    char num[32];
    if (type->kind == GQL_KIND_ENUM) {
        if (!cJSON_IsString(in)) {
            struct gql_sb vs = {0};
            gql_inspect(&vs, in);
            gql_sb_addf(&d, "Enum \"%s\" cannot represent non-string value: %s.", type->name,
                        vs.s ? vs.s : "");
            if (vs.s != NULL)
                did_you_mean_enum(&d, type, vs.s);
            free(vs.s);
            goto bad;
        }
        for (size_t i = 0; i < type->nenum_values; i++)
            if (strcmp(type->enum_values[i].name, in->valuestring) == 0)
                return cJSON_CreateString(in->valuestring);
        gql_sb_addf(&d, "Value \"%s\" does not exist in \"%s\" enum.", in->valuestring, type->name);
        did_you_mean_enum(&d, type, in->valuestring);
        goto bad;
    }
    if (scalar_is(type, "Int")) {
        if (!cJSON_IsNumber(in) || in->valuedouble != floor(in->valuedouble)) {
            gql_sb_adds(&d, "Int cannot represent non-integer value: ");
            gql_inspect(&d, in);
            goto bad;
        }
        if (in->valuedouble > 2147483647.0 || in->valuedouble < -2147483648.0) {
            gql_sb_adds(&d, "Int cannot represent non 32-bit signed integer value: ");
            gql_inspect(&d, in);
            goto bad;
        }
        return cJSON_CreateNumber(in->valuedouble);
    }
    if (scalar_is(type, "Float")) {
        if (!cJSON_IsNumber(in) || !isfinite(in->valuedouble)) {
            gql_sb_adds(&d, "Float cannot represent non numeric value: ");
            gql_inspect(&d, in);
            goto bad;
        }
        return cJSON_CreateNumber(in->valuedouble);
    }
    if (scalar_is(type, "String")) {
        if (!cJSON_IsString(in)) {
            gql_sb_adds(&d, "String cannot represent a non string value: ");
            gql_inspect(&d, in);
            goto bad;
        }
        return cJSON_CreateString(in->valuestring);
    }
    if (scalar_is(type, "Boolean")) {
        if (!cJSON_IsBool(in)) {
            gql_sb_adds(&d, "Boolean cannot represent a non boolean value: ");
            gql_inspect(&d, in);
            goto bad;
        }
        return cJSON_CreateBool(cJSON_IsTrue(in));
    }
    if (scalar_is(type, "ID")) {
        if (cJSON_IsString(in))
            return cJSON_CreateString(in->valuestring);
        if (cJSON_IsNumber(in) && in->valuedouble == floor(in->valuedouble) &&
            isfinite(in->valuedouble))
            return cJSON_CreateString(gql_js_number(in->valuedouble, num));
        gql_sb_adds(&d, "ID cannot represent value: ");
        gql_inspect(&d, in);
        goto bad;
    }
    /* A custom scalar takes any JSON. */
    return cJSON_Duplicate(in, true);
bad:
    input_error(c, path, in, &d);
    return NULL;
}

static cJSON *coerce_input(struct cctx *c, const cJSON *in, const struct gql_type *type,
                           const struct ipath *path)
{
    char tbuf[256];
    struct gql_sb d = {0};
    if (type->kind == GQL_KIND_NON_NULL) {
        if (cJSON_IsNull(in)) {
            gql_sb_addf(&d, "Expected non-nullable type \"%s\" not to be null.",
                        gql_type_print(type, tbuf, sizeof tbuf));
            input_error(c, path, in, &d);
            return NULL;
        }
        return coerce_input(c, in, type->of_type, path);
    }
    if (cJSON_IsNull(in))
        return cJSON_CreateNull();
    if (type->kind == GQL_KIND_LIST) {
        if (!cJSON_IsArray(in)) {
            cJSON *item = coerce_input(c, in, type->of_type, path);
            if (item == NULL)
                return NULL;
            cJSON *arr = cJSON_CreateArray();
            if (arr == NULL || !cJSON_AddItemToArray(arr, item)) {
                cJSON_Delete(item);
                cJSON_Delete(arr);
                c->oom = true;
                return NULL;
            }
            return arr;
        }
        cJSON *arr = cJSON_CreateArray();
        bool failed = arr == NULL;
        size_t i = 0;
        for (const cJSON *it = in->child; it != NULL; it = it->next, i++) {
            struct ipath ip = {path, NULL, i};
            cJSON *item = coerce_input(c, it, type->of_type, &ip);
            if (item == NULL || failed || !cJSON_AddItemToArray(arr, item)) {
                cJSON_Delete(item);
                failed = true;
            }
        }
        if (failed) {
            cJSON_Delete(arr);
            return NULL;
        }
        return arr;
    }
    if (type->kind == GQL_KIND_INPUT_OBJECT) {
        if (!cJSON_IsObject(in)) {
            gql_sb_addf(&d, "Expected type \"%s\" to be an object.", type->name);
            input_error(c, path, in, &d);
            return NULL;
        }
        cJSON *obj = cJSON_CreateObject();
        bool failed = obj == NULL;
        for (size_t i = 0; i < type->ninput_fields; i++) {
            const struct gql_input_value *f = &type->input_fields[i];
            const cJSON *fv = cJSON_GetObjectItemCaseSensitive(in, f->name);
            cJSON *v = NULL;
            if (fv == NULL) {
                if (f->default_value != NULL) {
                    int rc = gql_value_from_literal(f->default_value, f->type, NULL, &v);
                    if (rc == GQL_ENOMEM)
                        c->oom = true;
                    if (rc < 0) {
                        failed = true;
                        continue;
                    }
                } else {
                    if (f->type->kind == GQL_KIND_NON_NULL) {
                        gql_sb_addf(&d, "Field \"%s\" of required type \"%s\" was not provided.",
                                    f->name, gql_type_print(f->type, tbuf, sizeof tbuf));
                        input_error(c, path, in, &d);
                        failed = true;
                    }
                    continue;
                }
            } else {
                struct ipath ip = {path, f->name, 0};
                v = coerce_input(c, fv, f->type, &ip);
            }
            if (v == NULL || failed || !cJSON_AddItemToObject(obj, f->name, v)) {
                cJSON_Delete(v);
                failed = true;
            }
        }
        for (const cJSON *it = in->child; it != NULL; it = it->next) {
            bool known = false;
            for (size_t i = 0; i < type->ninput_fields && !known; i++)
                known = strcmp(type->input_fields[i].name, it->string) == 0;
            if (known)
                continue;
            gql_sb_addf(&d, "Field \"%s\" is not defined by type \"%s\".", it->string, type->name);
            const char *names[64];
            size_t n = type->ninput_fields < 64 ? type->ninput_fields : 64;
            for (size_t i = 0; i < n; i++)
                names[i] = type->input_fields[i].name;
            did_you_mean(&d, NULL, it->string, names, n);
            input_error(c, path, in, &d);
            failed = true;
        }
        if (failed) {
            cJSON_Delete(obj);
            return NULL;
        }
        return obj;
    }
    cJSON *v = parse_leaf(c, in, type, path);
    return v;
}

/* A type as written in the document ("[Int!]"), for a type the schema does not know. */
static const char *print_type_ref(char *out, size_t size, const struct gql_type_ref *ref)
{
    struct gql_sb sb = {0};
    const struct gql_type_ref *chain[64];
    size_t n = 0;
    for (const struct gql_type_ref *r = ref; r != NULL && n < 64; r = r->of)
        chain[n++] = r;
    for (size_t i = 0; i < n; i++)
        if (chain[i]->kind == GQL_TYPE_LIST)
            gql_sb_add(&sb, "[", 1);
        else if (chain[i]->kind == GQL_TYPE_NAMED)
            gql_sb_adds(&sb, chain[i]->name);
    for (size_t i = n; i-- > 0;)
        if (chain[i]->kind == GQL_TYPE_LIST)
            gql_sb_add(&sb, "]", 1);
        else if (chain[i]->kind == GQL_TYPE_NON_NULL)
            gql_sb_add(&sb, "!", 1);
    snprintf(out, size, "%s", sb.s ? sb.s : "");
    free(sb.s);
    return out;
}

int gql_coerce_variables(const struct gql_prepared *p, const cJSON *inputs, cJSON **out,
                         struct gql_errors *errs)
{
    char tbuf[256];
    const struct gql_definition *op = p->op;
    struct cctx c = {errs, NULL, 0, false};
    cJSON *vars = cJSON_CreateObject();
    *out = NULL;
    if (vars == NULL)
        return GQL_ENOMEM;
    if (!cJSON_IsObject(inputs))
        inputs = NULL;
    for (size_t i = 0; i < op->nvariables && !c.oom; i++) {
        const struct gql_variable_def *def = &op->variables[i];
        const struct gql_type *type = p->var_types[i];
        c.def = def;
        if (type == NULL || !gql_type_is_input(type)) {
            if (c.nerrors++ < MAX_VARIABLE_ERRORS &&
                gql_errors_add(errs, NULL, &def->loc, 1,
                               "Variable \"$%s\" expected value of type \"%s\" which cannot be "
                               "used as an input type.",
                               def->name, print_type_ref(tbuf, sizeof tbuf, def->type)) < 0)
                c.oom = true;
            continue;
        }
        const cJSON *in = inputs ? cJSON_GetObjectItemCaseSensitive(inputs, def->name) : NULL;
        cJSON *v = NULL;
        if (in == NULL) {
            if (def->default_value != NULL) {
                int rc = gql_value_from_literal(def->default_value, type, NULL, &v);
                if (rc == GQL_ENOMEM) {
                    c.oom = true;
                    continue;
                }
                if (rc < 0) {
                    /* validation guarantees a valid default; be safe */
                    continue;
                }
            } else {
                if (type->kind == GQL_KIND_NON_NULL) {
                    if (c.nerrors++ < MAX_VARIABLE_ERRORS &&
                        gql_errors_add(errs, NULL, &def->loc, 1,
                                       "Variable \"$%s\" of required type \"%s\" was not "
                                       "provided.",
                                       def->name, gql_type_print(type, tbuf, sizeof tbuf)) < 0)
                        c.oom = true;
                }
                continue;
            }
        } else if (cJSON_IsNull(in) && type->kind == GQL_KIND_NON_NULL) {
            if (c.nerrors++ < MAX_VARIABLE_ERRORS &&
                gql_errors_add(errs, NULL, &def->loc, 1,
                               "Variable \"$%s\" of non-null type \"%s\" must not be null.",
                               def->name, gql_type_print(type, tbuf, sizeof tbuf)) < 0)
                c.oom = true;
            continue;
        } else {
            v = coerce_input(&c, in, type, NULL);
            if (v == NULL)
                continue;
        }
        if (!cJSON_AddItemToObject(vars, def->name, v)) {
            cJSON_Delete(v);
            c.oom = true;
        }
    }
    if (c.nerrors > MAX_VARIABLE_ERRORS && !c.oom)
        if (gql_errors_add(errs, NULL, NULL, 0,
                           "Too many errors processing variables, error limit reached. "
                           "Execution aborted.") < 0)
            c.oom = true;
    if (c.oom) {
        cJSON_Delete(vars);
        return GQL_ENOMEM;
    }
    if (c.nerrors > 0) {
        cJSON_Delete(vars);
        return GQL_EINVALID;
    }
    *out = vars;
    return GQL_OK;
}

/* ---- valueFromAST: a literal against a type ---- */

static bool variable_missing(const struct gql_value *lit, const cJSON *variables)
{
    return lit->kind == GQL_VALUE_VARIABLE &&
           (variables == NULL || cJSON_GetObjectItemCaseSensitive(variables, lit->text) == NULL);
}

/* valueFromASTUntyped: NULL for "undefined" (a missing variable) or out of memory. */
static cJSON *untyped(const struct gql_value *lit, const cJSON *variables, bool *oom)
{
    cJSON *r = NULL;
    switch (lit->kind) {
    case GQL_VALUE_VARIABLE: {
        const cJSON *v = variables ? cJSON_GetObjectItemCaseSensitive(variables, lit->text) : NULL;
        if (v == NULL)
            return NULL;
        r = cJSON_Duplicate(v, true);
        break;
    }
    case GQL_VALUE_INT:
    case GQL_VALUE_FLOAT:
        r = cJSON_CreateNumber(strtod(lit->text, NULL));
        break;
    case GQL_VALUE_STRING:
    case GQL_VALUE_ENUM:
        r = cJSON_CreateString(lit->text);
        break;
    case GQL_VALUE_BOOLEAN:
        r = cJSON_CreateBool(lit->boolean);
        break;
    case GQL_VALUE_NULL:
        r = cJSON_CreateNull();
        break;
    case GQL_VALUE_LIST:
        r = cJSON_CreateArray();
        for (size_t i = 0; r != NULL && i < lit->nitems; i++) {
            cJSON *item = untyped(&lit->items[i], variables, oom);
            if (item == NULL && *oom)
                break;
            if (item == NULL)
                continue;
            if (!cJSON_AddItemToArray(r, item)) {
                cJSON_Delete(item);
                *oom = true;
            }
        }
        break;
    case GQL_VALUE_OBJECT:
        r = cJSON_CreateObject();
        for (size_t i = 0; r != NULL && i < lit->nfields; i++) {
            cJSON *item = untyped(&lit->fields[i].value, variables, oom);
            if (item == NULL && *oom)
                break;
            if (item == NULL)
                continue;
            if (!cJSON_AddItemToObject(r, lit->fields[i].name, item)) {
                cJSON_Delete(item);
                *oom = true;
            }
        }
        break;
    }
    if (r == NULL || *oom) {
        cJSON_Delete(r);
        *oom = true;
        return NULL;
    }
    return r;
}

static int leaf_from_literal(const struct gql_value *lit, const struct gql_type *type,
                             const cJSON *variables, cJSON **out)
{
    cJSON *r = NULL;
    if (type->kind == GQL_KIND_ENUM) {
        if (lit->kind != GQL_VALUE_ENUM)
            return GQL_EINVALID;
        for (size_t i = 0; i < type->nenum_values; i++)
            if (strcmp(type->enum_values[i].name, lit->text) == 0) {
                r = cJSON_CreateString(lit->text);
                goto done;
            }
        return GQL_EINVALID;
    }
    if (scalar_is(type, "Int")) {
        if (lit->kind != GQL_VALUE_INT)
            return GQL_EINVALID;
        errno = 0;
        long long n = strtoll(lit->text, NULL, 10);
        if (errno != 0 || n > 2147483647LL || n < -2147483648LL)
            return GQL_EINVALID;
        r = cJSON_CreateNumber((double)n);
    } else if (scalar_is(type, "Float")) {
        if (lit->kind != GQL_VALUE_INT && lit->kind != GQL_VALUE_FLOAT)
            return GQL_EINVALID;
        double d = strtod(lit->text, NULL);
        if (!isfinite(d))
            return GQL_EINVALID;
        r = cJSON_CreateNumber(d);
    } else if (scalar_is(type, "String")) {
        if (lit->kind != GQL_VALUE_STRING)
            return GQL_EINVALID;
        r = cJSON_CreateString(lit->text);
    } else if (scalar_is(type, "Boolean")) {
        if (lit->kind != GQL_VALUE_BOOLEAN)
            return GQL_EINVALID;
        r = cJSON_CreateBool(lit->boolean);
    } else if (scalar_is(type, "ID")) {
        if (lit->kind != GQL_VALUE_STRING && lit->kind != GQL_VALUE_INT)
            return GQL_EINVALID;
        r = cJSON_CreateString(lit->text);
    } else {
        bool oom = false;
        r = untyped(lit, variables, &oom);
        if (r == NULL)
            return oom ? GQL_ENOMEM : GQL_EINVALID;
    }
done:
    if (r == NULL)
        return GQL_ENOMEM;
    *out = r;
    return GQL_OK;
}

/* Deeper than this, a literal (or a chain of defaults) is refused rather than followed. */
#define MAX_LITERAL_DEPTH 64

static int from_literal(const struct gql_value *lit, const struct gql_type *type,
                        const cJSON *variables, cJSON **out, int depth);

int gql_value_from_literal(const struct gql_value *lit, const struct gql_type *type,
                           const cJSON *variables, cJSON **out)
{
    return from_literal(lit, type, variables, out, 0);
}

static int from_literal(const struct gql_value *lit, const struct gql_type *type,
                        const cJSON *variables, cJSON **out, int depth)
{
    *out = NULL;
    if (depth > MAX_LITERAL_DEPTH)
        return GQL_EINVALID;
    if (lit->kind == GQL_VALUE_VARIABLE) {
        const cJSON *v = variables ? cJSON_GetObjectItemCaseSensitive(variables, lit->text) : NULL;
        if (v == NULL)
            return GQL_EINVALID;
        if (cJSON_IsNull(v) && type->kind == GQL_KIND_NON_NULL)
            return GQL_EINVALID;
        *out = cJSON_Duplicate(v, true);
        return *out ? GQL_OK : GQL_ENOMEM;
    }
    if (type->kind == GQL_KIND_NON_NULL) {
        if (lit->kind == GQL_VALUE_NULL)
            return GQL_EINVALID;
        return from_literal(lit, type->of_type, variables, out, depth + 1);
    }
    if (lit->kind == GQL_VALUE_NULL) {
        *out = cJSON_CreateNull();
        return *out ? GQL_OK : GQL_ENOMEM;
    }
    int rc = GQL_OK;
    cJSON *r = NULL;
    if (type->kind == GQL_KIND_LIST) {
        const struct gql_type *item_type = type->of_type;
        if (lit->kind != GQL_VALUE_LIST) {
            cJSON *item = NULL;
            rc = from_literal(lit, item_type, variables, &item, depth + 1);
            if (rc < 0)
                return rc;
            r = cJSON_CreateArray();
            if (r == NULL || !cJSON_AddItemToArray(r, item)) {
                cJSON_Delete(item);
                rc = GQL_ENOMEM;
                goto out;
            }
            goto out;
        }
        r = cJSON_CreateArray();
        if (r == NULL) {
            rc = GQL_ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < lit->nitems; i++) {
            cJSON *item = NULL;
            if (variable_missing(&lit->items[i], variables)) {
                if (item_type->kind == GQL_KIND_NON_NULL) {
                    rc = GQL_EINVALID;
                    goto out;
                }
                item = cJSON_CreateNull();
                if (item == NULL) {
                    rc = GQL_ENOMEM;
                    goto out;
                }
            } else {
                rc = from_literal(&lit->items[i], item_type, variables, &item, depth + 1);
                if (rc < 0)
                    goto out;
            }
            if (!cJSON_AddItemToArray(r, item)) {
                cJSON_Delete(item);
                rc = GQL_ENOMEM;
                goto out;
            }
        }
        goto out;
    }
    if (type->kind == GQL_KIND_INPUT_OBJECT) {
        if (lit->kind != GQL_VALUE_OBJECT)
            return GQL_EINVALID;
        r = cJSON_CreateObject();
        if (r == NULL)
            return GQL_ENOMEM;
        for (size_t i = 0; i < type->ninput_fields; i++) {
            const struct gql_input_value *f = &type->input_fields[i];
            const struct gql_value *fl = NULL;
            for (size_t j = 0; j < lit->nfields && fl == NULL; j++)
                if (strcmp(lit->fields[j].name, f->name) == 0)
                    fl = &lit->fields[j].value;
            cJSON *v = NULL;
            if (fl == NULL || variable_missing(fl, variables)) {
                if (f->default_value != NULL) {
                    rc = from_literal(f->default_value, f->type, NULL, &v, depth + 1);
                    if (rc < 0)
                        goto out;
                } else if (f->type->kind == GQL_KIND_NON_NULL) {
                    rc = GQL_EINVALID;
                    goto out;
                } else {
                    continue;
                }
            } else {
                rc = from_literal(fl, f->type, variables, &v, depth + 1);
                if (rc < 0)
                    goto out;
            }
            if (!cJSON_AddItemToObject(r, f->name, v)) {
                cJSON_Delete(v);
                rc = GQL_ENOMEM;
                goto out;
            }
        }
        for (size_t j = 0; j < lit->nfields; j++) {
            bool known = false;
            for (size_t i = 0; i < type->ninput_fields && !known; i++)
                known = strcmp(type->input_fields[i].name, lit->fields[j].name) == 0;
            if (!known) {
                rc = GQL_EINVALID;
                goto out;
            }
        }
        goto out;
    }
    return leaf_from_literal(lit, type, variables, out);
out:
    if (rc < 0) {
        cJSON_Delete(r);
        return rc;
    }
    *out = r;
    return GQL_OK;
}

/* ---- CoerceArgumentValues ---- */

static char *format_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format_message(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

int gql_coerce_arguments(const struct gql_input_value *defs, size_t ndefs,
                         const struct gql_argument *args, size_t nargs, const cJSON *variables,
                         cJSON **out, char **error)
{
    char tbuf[256];
    int rc = GQL_OK;
    *out = NULL;
    *error = NULL;
    cJSON *obj = cJSON_CreateObject();
    if (obj == NULL)
        return GQL_ENOMEM;
    for (size_t i = 0; i < ndefs; i++) {
        const struct gql_input_value *def = &defs[i];
        const struct gql_argument *arg = NULL;
        for (size_t j = 0; j < nargs && arg == NULL; j++)
            if (strcmp(args[j].name, def->name) == 0)
                arg = &args[j];
        bool non_null = def->type->kind == GQL_KIND_NON_NULL;
        cJSON *v = NULL;
        bool use_default = false;
        if (arg == NULL) {
            if (def->default_value != NULL) {
                use_default = true;
            } else if (non_null) {
                *error = format_message("Argument \"%s\" of required type \"%s\" was not provided.",
                                        def->name, gql_type_print(def->type, tbuf, sizeof tbuf));
                rc = GQL_EINVALID;
                goto out;
            } else {
                continue;
            }
        } else {
            const struct gql_value *lit = &arg->value;
            bool is_null = lit->kind == GQL_VALUE_NULL;
            if (lit->kind == GQL_VALUE_VARIABLE) {
                const cJSON *var =
                    variables ? cJSON_GetObjectItemCaseSensitive(variables, lit->text) : NULL;
                if (var == NULL) {
                    if (def->default_value != NULL) {
                        use_default = true;
                        goto coerce;
                    }
                    if (non_null) {
                        *error = format_message(
                            "Argument \"%s\" of required type \"%s\" was provided the variable "
                            "\"$%s\" which was not provided a runtime value.",
                            def->name, gql_type_print(def->type, tbuf, sizeof tbuf), lit->text);
                        rc = GQL_EINVALID;
                        goto out;
                    }
                    continue;
                }
                is_null = cJSON_IsNull(var);
            }
            if (is_null && non_null) {
                *error = format_message("Argument \"%s\" of non-null type \"%s\" must not be null.",
                                        def->name, gql_type_print(def->type, tbuf, sizeof tbuf));
                rc = GQL_EINVALID;
                goto out;
            }
        }
    coerce:
        if (use_default) {
            rc = gql_value_from_literal(def->default_value, def->type, NULL, &v);
        } else {
            rc = gql_value_from_literal(&arg->value, def->type, variables, &v);
            if (rc == GQL_EINVALID) {
                struct gql_sb sb = {0};
                gql_print_literal(&sb, &arg->value);
                if (!sb.oom)
                    *error = format_message("Argument \"%s\" has invalid value %s.", def->name,
                                            sb.s ? sb.s : "");
                free(sb.s);
            }
        }
        if (rc < 0)
            goto out;
        if (!cJSON_AddItemToObject(obj, def->name, v)) {
            cJSON_Delete(v);
            rc = GQL_ENOMEM;
            goto out;
        }
    }
out:
    if (rc < 0) {
        cJSON_Delete(obj);
        if (rc == GQL_EINVALID && *error == NULL)
            rc = GQL_ENOMEM;
        return rc;
    }
    *out = obj;
    return GQL_OK;
}
