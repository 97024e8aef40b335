"""Pure domain primitives shared by every doudi service: IDs, masking, money, periods, regions, calendar."""
