print("arbiter")
