# The CUDA backend (addon/src/cuda/). LLAMA_GPU_CUDA (declared in CMakeLists.txt):
#   OFF   CPU-only.
#   AUTO  the CUDA backend when nvcc and cuBLASLt are found; otherwise CPU-only, silently.
#   ON    the CUDA backend, or a configure error saying what is missing.
# With nvcc but no cuBLASLt (CI, developer machines without the math libraries), every .cu file that does not need
# cuBLAS is still compiled (one architecture, not linked), so CUDA code cannot rot unseen.
#
# LLAMA_GPU_CUDA_ARCHS: the GPU architectures to build (default: 80;86;89;90, plus 100 where the toolkit knows it).
# On a lent GPU build only its own, e.g. -DLLAMA_GPU_CUDA_ARCHS=90. sm_80 or newer: the attention uses mma.sync m16n8k16.
# Defines LGB_WITH_CUDA=1 on the addon when the backend is linked in, 0 otherwise.
set(LLAMA_GPU_CUDA_ARCHS "" CACHE STRING "CUDA architectures of the CUDA backend (empty: 80;86;89;90[;100])")

set(LGB_WITH_CUDA 0)
if(NOT LLAMA_GPU_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(NOT CMAKE_CUDA_COMPILER)
    if(LLAMA_GPU_CUDA STREQUAL "ON")
      message(FATAL_ERROR "LLAMA_GPU_CUDA=ON but no CUDA compiler (nvcc) was found: install the CUDA toolkit or "
                          "set CUDACXX / CMAKE_CUDA_COMPILER.")
    endif()
    message(STATUS "CUDA backend: off (no nvcc)")
  else()
    enable_language(CUDA)
    find_package(CUDAToolkit)
    find_path(LGB_CUBLASLT_INCLUDE cublasLt.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
    set(LGB_CUDA_COMMON_FLAGS
      $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-ffp-contract=off,-fno-fast-math>
      $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr>)
    file(GLOB LGB_CUDA_SOURCES CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/src/cuda/*.cu")

    if(TARGET CUDA::cublasLt AND LGB_CUBLASLT_INCLUDE)
      if(LLAMA_GPU_CUDA_ARCHS)
        set(LGB_CUDA_ARCHS ${LLAMA_GPU_CUDA_ARCHS})
      else()
        set(LGB_CUDA_ARCHS 80 86 89 90)
        if(CMAKE_CUDA_COMPILER_VERSION VERSION_GREATER_EQUAL 12.8)
          list(APPEND LGB_CUDA_ARCHS 100)
        endif()
      endif()
      add_library(lgb_cuda STATIC ${LGB_CUDA_SOURCES})
      set_target_properties(lgb_cuda PROPERTIES CUDA_ARCHITECTURES "${LGB_CUDA_ARCHS}" CUDA_STANDARD 17
                                                 CUDA_STANDARD_REQUIRED ON POSITION_INDEPENDENT_CODE ON)
      target_compile_options(lgb_cuda PRIVATE ${LGB_CUDA_COMMON_FLAGS} $<$<COMPILE_LANGUAGE:CUDA>:-O3>)
      # cudart static: the addon then needs only the driver and libcublasLt at run time.
      target_link_libraries(lgb_cuda PUBLIC lgb_core PRIVATE CUDA::cudart_static CUDA::cublasLt)
      target_link_libraries(${PROJECT_NAME} PRIVATE lgb_cuda)
      if(TARGET ${PROJECT_NAME}_test)
        target_link_libraries(${PROJECT_NAME}_test PRIVATE lgb_cuda)
      endif()
      set(LGB_WITH_CUDA 1)
      message(STATUS "CUDA backend: on (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, architectures ${LGB_CUDA_ARCHS})")
    else()
      if(LLAMA_GPU_CUDA STREQUAL "ON")
        message(FATAL_ERROR "LLAMA_GPU_CUDA=ON but cuBLASLt (cublasLt.h and libcublasLt) was not found next to nvcc "
                            "${CMAKE_CUDA_COMPILER_VERSION}: install the CUDA toolkit's cuBLAS package.")
      endif()
      # Compile-only check of everything but the cuBLAS wrapper: one architecture, not linked into the addon.
      list(FILTER LGB_CUDA_SOURCES EXCLUDE REGEX "/gemm\\.cu$")
      add_library(lgb_cuda_compile_check OBJECT ${LGB_CUDA_SOURCES})
      set_target_properties(lgb_cuda_compile_check PROPERTIES CUDA_ARCHITECTURES 80 CUDA_STANDARD 17
                                                               CUDA_STANDARD_REQUIRED ON)
      target_include_directories(lgb_cuda_compile_check PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/src")
      target_compile_options(lgb_cuda_compile_check PRIVATE ${LGB_CUDA_COMMON_FLAGS})
      message(STATUS "CUDA backend: off (no cuBLASLt); compiling the CUDA sources for sm_80 as a check only")
    endif()
  endif()
else()
  message(STATUS "CUDA backend: off (LLAMA_GPU_CUDA=OFF)")
endif()
target_compile_definitions(lgb_binding PRIVATE LGB_WITH_CUDA=${LGB_WITH_CUDA})

# The forward's profile (addon/test/gpu/profile_forward.cu), built only on request: --target lgb_cuda_profile.
# The GPU checks are test sources, absent from an installed package.
if(TARGET lgb_cuda AND EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/test/gpu")
  add_executable(lgb_cuda_profile EXCLUDE_FROM_ALL "${CMAKE_CURRENT_SOURCE_DIR}/test/gpu/profile_forward.cu")
  set_target_properties(lgb_cuda_profile PROPERTIES CUDA_ARCHITECTURES "${LGB_CUDA_ARCHS}" CUDA_STANDARD 17)
  target_include_directories(lgb_cuda_profile PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/src")
  target_link_libraries(lgb_cuda_profile PRIVATE lgb_cuda lgb_core CUDA::cudart_static)
endif()
# Each kernel against the CPU reference op (addon/test/gpu/kernel_check.cu), built only on request.
if(TARGET lgb_cuda AND EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/test/gpu")
  add_executable(lgb_cuda_kernel_check EXCLUDE_FROM_ALL "${CMAKE_CURRENT_SOURCE_DIR}/test/gpu/kernel_check.cu")
  set_target_properties(lgb_cuda_kernel_check PROPERTIES CUDA_ARCHITECTURES "${LGB_CUDA_ARCHS}" CUDA_STANDARD 17)
  target_include_directories(lgb_cuda_kernel_check PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/src")
  target_link_libraries(lgb_cuda_kernel_check PRIVATE lgb_cuda lgb_cpu lgb_core CUDA::cudart_static)
endif()
