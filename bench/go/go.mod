module srvbench

go 1.19
