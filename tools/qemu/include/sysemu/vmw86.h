/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmw86 accelerator (AMD SVM behind /dev/vmw86): what the rest of QEMU
 * asks of it. vmw86's tree, tools/qemu/, copies this file into QEMU's.
 */
#ifndef QEMU_VMW86_H
#define QEMU_VMW86_H

#ifdef NEED_CPU_H

#ifdef CONFIG_VMW86

bool vmw86_enabled(void);
/* A CPUID register as VMW86_GET_SUPPORTED_CPUID offers it (R_EAX...). */
uint32_t vmw86_get_supported_cpuid(uint32_t function, uint32_t index, int reg);

#else /* CONFIG_VMW86 */

#define vmw86_enabled() (0)
#define vmw86_get_supported_cpuid(function, index, reg) (0)

#endif /* CONFIG_VMW86 */

#endif /* NEED_CPU_H */

#endif /* QEMU_VMW86_H */
