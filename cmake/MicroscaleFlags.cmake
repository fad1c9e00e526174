# Warnings and sanitizers for microscale's own targets (never forced on consumers).

function(microscale_target_flags target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic>
                                            $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>)
  if(MICROSCALE_WERROR)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Werror> $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings>)
  endif()
endfunction()

if(MICROSCALE_SANITIZE)
  string(REPLACE ";" "," _microscale_sanitizers "${MICROSCALE_SANITIZE}")
  message(STATUS "microscale: building with -fsanitize=${_microscale_sanitizers}")
  add_compile_options(-fsanitize=${_microscale_sanitizers} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_microscale_sanitizers})
endif()
