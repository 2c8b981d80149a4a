// The grammar's worked example (docs/scenario-language.md), shared by the parser and formatter tests.
export const EXAMPLE = `# free comment lines (kept by fmt at the top of the file)
scenario ro-pin-previously-shared
title "R/O pin on a previously shared page; the next write COWs it away"
refs seed:004 09854ba94c6a c89357e27f20
check pin-coherent, pinned-not-cow-shared
depth 40
setup:
  P0: mmap A anon; write A; fork P1
  P1: exit
P0:
  pin A ro        # pin_user_pages(), no FOLL_WRITE
  write A
P0.T1:
  pin A rw fast as buf
  signal pinned
device:
  wait pinned
  dma-write buf
expect pin-coherent violated on 5.9..5.18
expect pin-coherent holds on <=5.8, >=5.19
`;
