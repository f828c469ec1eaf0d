# leadboard_warnings(target): the project's warning set on one target.
# With Clang, the lock annotations (ABSL_GUARDED_BY, ABSL_EXCLUSIVE_LOCKS_
# REQUIRED) are checked too, and a violation is an error: GCC ignores them.
function(leadboard_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety -Werror=thread-safety)
  endif()
endfunction()
