'use strict';
// Fails while the module loads: an init error.
throw new Error('cannot load the fare tables');
