# generated from generators/kernels.manifest by generators/generate.py — do not edit
# Every kernel of the manifest: name, C identifier, family, backend, instantiation TU.
set(MICROSCALE_MANIFEST_KERNELS
  "w_nvfp4_a_nvfp4.linear.emulation|w_nvfp4_a_nvfp4_linear_emulation|linear|emulation|generated/w_nvfp4_a_nvfp4.linear.emulation.cpp"
  "w_nvfp4_a_nvfp4.swizzled_128x4.emulation|w_nvfp4_a_nvfp4_swizzled_128x4_emulation|linear|emulation|generated/w_nvfp4_a_nvfp4.swizzled_128x4.emulation.cpp"
  "w_nvfp4.linear.emulation|w_nvfp4_linear_emulation|linear|emulation|generated/w_nvfp4.linear.emulation.cpp"
  "w_nvfp4.swizzled_128x4.emulation|w_nvfp4_swizzled_128x4_emulation|linear|emulation|generated/w_nvfp4.swizzled_128x4.emulation.cpp"
  "w_mxfp4_a_mxfp4.linear.emulation|w_mxfp4_a_mxfp4_linear_emulation|linear|emulation|generated/w_mxfp4_a_mxfp4.linear.emulation.cpp"
  "w_mxfp4_a_mxfp4.swizzled_128x4.emulation|w_mxfp4_a_mxfp4_swizzled_128x4_emulation|linear|emulation|generated/w_mxfp4_a_mxfp4.swizzled_128x4.emulation.cpp"
  "w_mxfp4.linear.emulation|w_mxfp4_linear_emulation|linear|emulation|generated/w_mxfp4.linear.emulation.cpp"
  "w_mxfp4.swizzled_128x4.emulation|w_mxfp4_swizzled_128x4_emulation|linear|emulation|generated/w_mxfp4.swizzled_128x4.emulation.cpp"
  "w_mxfp6_e2m3_a_mxfp6_e2m3.linear.emulation|w_mxfp6_e2m3_a_mxfp6_e2m3_linear_emulation|linear|emulation|generated/w_mxfp6_e2m3_a_mxfp6_e2m3.linear.emulation.cpp"
  "w_mxfp6_e2m3_a_mxfp6_e2m3.swizzled_128x4.emulation|w_mxfp6_e2m3_a_mxfp6_e2m3_swizzled_128x4_emulation|linear|emulation|generated/w_mxfp6_e2m3_a_mxfp6_e2m3.swizzled_128x4.emulation.cpp"
  "w_mxfp6_e2m3.linear.emulation|w_mxfp6_e2m3_linear_emulation|linear|emulation|generated/w_mxfp6_e2m3.linear.emulation.cpp"
  "w_mxfp6_e2m3.swizzled_128x4.emulation|w_mxfp6_e2m3_swizzled_128x4_emulation|linear|emulation|generated/w_mxfp6_e2m3.swizzled_128x4.emulation.cpp"
  "w_mxfp6_e3m2_a_mxfp6_e3m2.linear.emulation|w_mxfp6_e3m2_a_mxfp6_e3m2_linear_emulation|linear|emulation|generated/w_mxfp6_e3m2_a_mxfp6_e3m2.linear.emulation.cpp"
  "w_mxfp6_e3m2_a_mxfp6_e3m2.swizzled_128x4.emulation|w_mxfp6_e3m2_a_mxfp6_e3m2_swizzled_128x4_emulation|linear|emulation|generated/w_mxfp6_e3m2_a_mxfp6_e3m2.swizzled_128x4.emulation.cpp"
  "w_mxfp6_e3m2.linear.emulation|w_mxfp6_e3m2_linear_emulation|linear|emulation|generated/w_mxfp6_e3m2.linear.emulation.cpp"
  "w_mxfp6_e3m2.swizzled_128x4.emulation|w_mxfp6_e3m2_swizzled_128x4_emulation|linear|emulation|generated/w_mxfp6_e3m2.swizzled_128x4.emulation.cpp"
)
