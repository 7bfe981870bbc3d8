#include "lambda/lambda_internal.h"
