/* startup.c - reset and vector table for a Cortex-M4F (here QEMU's
 * mps2-an386): enable the FPU, flush denormals to zero as the trainer
 * does, copy .data from flash, clear .bss, run main, exit through
 * semihosting. */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
extern void initialise_monitor_handles(void);
void Reset_Handler(void);
void Fault_Handler(void);
void _init(void);
void _fini(void);

/* newlib's constructors and destructors call these; crti.o would define
 * them, and -nostartfiles leaves it out. */
void _init(void) {}
void _fini(void) {}

#define CPACR (*(volatile uint32_t *)0xE000ED88u)
#define FPCCR (*(volatile uint32_t *)0xE000EF34u)

void Reset_Handler(void)
{
    uint32_t *src = &_sidata, *dst = &_sdata;
    /* CP10 and CP11 full access: the FPU is off after reset, and the first
     * floating-point instruction would fault. */
    CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    /* FPSCR.FZ (bit 24): denormals flush to zero, like the trainer's
     * MXCSR FTZ/DAZ on x86, so both give the same numbers. */
    __asm__ volatile("vmrs r0, fpscr\n\t"
                     "orr r0, r0, #(1 << 24)\n\t"
                     "vmsr fpscr, r0" ::: "r0");
    while (dst < &_edata)
        *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss; dst++)
        *dst = 0;
    initialise_monitor_handles();
    exit(main());
}

/* Any fault ends the run with a failure instead of hanging. */
void Fault_Handler(void)
{
    exit(3);
}

/* The Cortex-M vector table: the initial stack pointer, then the handlers
 * of reset, NMI, hard fault, memory management, bus and usage faults. */
__attribute__((section(".vectors"), used))
static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&_estack, Reset_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, Fault_Handler,
};
