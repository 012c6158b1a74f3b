print("labelmill")
