# leadboard_warnings(target): the project's warning set on one target.
function(leadboard_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()
