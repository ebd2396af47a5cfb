// Placeholder: the CPU backend (open_cpu_device) lands with the CPU forward.
