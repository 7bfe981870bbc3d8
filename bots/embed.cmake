# Turns a file into a C array: cmake -DIN=FILE -DOUT=FILE.c -DNAME=symbol -P embed.cmake
# (the chat widget's files, compiled into parley so that every install serves them).
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR n "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE "${OUT}" "/* generated from ${IN} by bots/embed.cmake */\n#include <stddef.h>\n"
     "const unsigned char ${NAME}[] = {${body}0};\nconst size_t ${NAME}_len = ${n};\n")
