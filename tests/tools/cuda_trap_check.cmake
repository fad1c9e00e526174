# cuda.no_trap: compiles each cuda TU to PTX and fails if any kernel contains `trap;`.
# nvcc replaces code it proves undefined with a trap (seen: device code binding a reference to a
# host-memory constant through std::clamp); CI has no GPU, so this is where such a kernel is caught.
# -DNVCC=... -DINCLUDES=dir;dir -DSOURCES=a.cu;b.cu -DWORK=dir
file(MAKE_DIRECTORY "${WORK}")
set(_includes)
foreach(_dir IN LISTS INCLUDES)
  list(APPEND _includes "-I${_dir}")
endforeach()
foreach(_source IN LISTS SOURCES)
  get_filename_component(_name "${_source}" NAME_WE)
  foreach(_arch compute_90a compute_80)  # the two targets the library builds
    execute_process(COMMAND "${NVCC}" -std=c++20 --expt-relaxed-constexpr ${_includes} -arch=${_arch}
                            -ptx "${_source}" -o "${WORK}/${_name}.${_arch}.ptx"
                    RESULT_VARIABLE _rc ERROR_VARIABLE _err)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "nvcc -ptx ${_source} failed:\n${_err}")
    endif()
    # `trap;`, also predicated (`@%p1 trap;`)
    file(STRINGS "${WORK}/${_name}.${_arch}.ptx" _traps REGEX "(^|[ \t}])trap;")
    if(_traps)
      message(FATAL_ERROR "${_source} (${_arch}): the PTX holds a trap (code nvcc proved undefined): look for device code reading host memory")
    endif()
  endforeach()
  message(STATUS "${_name}: no trap")
endforeach()
