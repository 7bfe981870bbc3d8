# The airline bot's BookFlight code hook (Lex V1 event in, dialog action out),
# in bash with no JSON tool: the event's strings are copied as they are
# (still JSON-escaped), so the reply stays valid JSON.
#   FulfillmentCodeHook: Close/Fulfilled with the booking sentence, and the
#                        slots copied into the session attributes.
#   DialogCodeHook:      Delegate with the slots as they are.

# The value of a string field of a flat JSON object ("" when absent or null).
json_str() {
    local re="\"$2\"[[:space:]]*:[[:space:]]*\"(([^\"\\\\]|\\\\.)*)\""
    if [[ $1 =~ $re ]]; then printf '%s' "${BASH_REMATCH[1]}"; fi
}

# A flat object field ({...} without nested braces), "{}" when absent or null.
json_obj() {
    local re="\"$2\"[[:space:]]*:[[:space:]]*(\\{[^{}]*\\})"
    if [[ $1 =~ $re ]]; then printf '%s' "${BASH_REMATCH[1]}"; else printf '{}'; fi
}

handler() {
    local event=$1
    local intent=${event#*\"currentIntent\"}
    local slots source prev origin destination date
    slots=$(json_obj "$intent" slots)
    source=$(json_str "$event" invocationSource)
    prev=$(json_obj "$event" sessionAttributes)
    echo "BookFlight: $source with slots $slots" >&2

    if [ "$source" != "FulfillmentCodeHook" ]; then
        printf '{"sessionAttributes":%s,"dialogAction":{"type":"Delegate","slots":%s}}' \
               "$prev" "$slots"
        return
    fi
    origin=$(json_str "$slots" Origin)
    destination=$(json_str "$slots" Destination)
    date=$(json_str "$slots" Date)
    # previous attributes, without the three we set
    local attrs=${prev#\{}
    attrs=${attrs%\}}
    local kept="" pair re='^[[:space:]]*"(Origin|Destination|Date)"[[:space:]]*:'
    local IFS=,
    for pair in $attrs; do
        [[ $pair =~ $re || -z ${pair//[[:space:]]/} ]] || kept+="$pair,"
    done
    printf '{"sessionAttributes":{%s"Origin":"%s","Destination":"%s","Date":"%s"},' \
           "$kept" "$origin" "$destination" "$date"
    printf '"dialogAction":{"type":"Close","fulfillmentState":"Fulfilled","message":{"contentType":"PlainText","content":"We have booked your flight from %s to %s on %s"}}}' \
           "$origin" "$destination" "$date"
}
