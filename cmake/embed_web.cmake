# Writes OUTPUT, a C++ source holding every file under DIR (web/) as bytes, with
# `web_files::built_in()` serving them (http/web_files.hpp). Run at build time by
# http/CMakeLists.txt whenever a file of web/ changes; OUTPUT is rewritten only when it differs.
file(GLOB_RECURSE names RELATIVE "${DIR}" "${DIR}/*")
list(FILTER names EXCLUDE REGEX "(^|/)(\\.|node_modules/)")
list(SORT names)
set(arrays "")
set(table "")
set(i 0)
foreach(name IN LISTS names)
  file(READ "${DIR}/${name}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  # A NUL at the end keeps an empty file's array legal; the view leaves it out.
  string(APPEND arrays "const unsigned char file_${i}[] = {${bytes}0x00};\n")
  string(APPEND table "    {\"${name}\", {reinterpret_cast<const char*>(file_${i}), sizeof(file_${i}) - 1}},\n")
  math(EXPR i "${i} + 1")
endforeach()
if(i EQUAL 0)
  set(files "std::span<const web_file>{}")
else()
  set(files "files")
  set(table "const web_file files[] = {\n${table}};\n")
endif()
file(WRITE "${OUTPUT}.tmp" "// Generated from web/ by cmake/embed_web.cmake: do not edit.
#include \"http/web_files.hpp\"

namespace seatgrab::http {

namespace {

${arrays}
${table}
} // namespace

const web_files& web_files::built_in() {
  static const web_files built{${files}};
  return built;
}

} // namespace seatgrab::http
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
